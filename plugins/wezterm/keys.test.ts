import { describe, expect, it } from 'vitest';
import { comboId, normalizeBinding, parseMods } from './keys.ts';
import { weztermOptions } from './options.ts';
import { wantedBindings } from './spec.ts';

const id = (key: string, mods?: string) => comboId(normalizeBinding(key, mods));

describe('key bindings compared as WezTerm compares them', () => {
  it('CMD is SUPER (and WIN); OPT and META are ALT; NONE and blanks are nothing', () => {
    expect(parseMods('CMD|SHIFT')).toEqual({ mods: ['SHIFT', 'SUPER'], unknown: [] });
    expect(id('s', 'CMD')).toBe(id('s', 'SUPER'));
    expect(id('s', 'WIN')).toBe(id('s', 'SUPER'));
    expect(id('x', 'OPT')).toBe(id('x', 'META'));
    expect(id('x', ' ALT | CTRL ')).toBe(id('x', 'CTRL|ALT'));
    expect(id('x', 'NONE')).toBe(id('x', ''));
    expect(id('x', undefined)).toBe(id('x', 'NONE'));
  });

  it('a letter with SHIFT is the upper-case letter without it (normalize_shift)', () => {
    const wanted = id('T', 'SUPER');
    expect(id('t', 'CMD|SHIFT')).toBe(wanted);
    expect(id('T', 'CMD|SHIFT')).toBe(wanted);
    expect(id('T', 'CMD')).toBe(wanted);
    // Without SHIFT the case is the key: `t` and `T` are two bindings.
    expect(id('t', 'CMD')).not.toBe(wanted);
    // Only ASCII letters: `{` with SHIFT stays as it is.
    expect(id('[', 'CMD|SHIFT')).not.toBe(id('[', 'CMD'));
  });

  it('mapped: is the default; phys: keys have no case; Enter is Return', () => {
    expect(id('mapped:t', 'CMD')).toBe(id('t', 'CMD'));
    expect(id('phys:t', 'CMD')).toBe(id('phys:T', 'CMD'));
    expect(id('phys:T', 'CMD')).not.toBe(id('T', 'CMD'));
    expect(id('Enter', 'ALT')).toBe(id('Return', 'ALT'));
  });

  it('unknown modifier names are kept apart', () => {
    expect(parseMods('CMD|HYPER|cmd')).toEqual({ mods: ['SUPER'], unknown: ['HYPER', 'cmd'] });
  });
});

describe('the keys option', () => {
  const parse = (keys: unknown) => weztermOptions.safeParse({ keys });
  const messages = (keys: unknown) => {
    const result = parse(keys);
    if (result.success) return [];
    // Failed unions: the branch of the list (the config loader reports that branch too).
    const issues = result.error.issues.flatMap((issue) =>
      issue.code === 'invalid_union'
        ? (issue.errors[0] ?? []).map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }))
        : [issue],
    );
    return issues.map(
      (issue) =>
        `${issue.path.join('.')}: ${issue.code === 'invalid_value' ? `one of ${issue.values.map(String).join(', ')}` : issue.message}`,
    );
  };

  it('by default: CMD+S launcher, CMD+SHIFT+T and CTRL+SHIFT+T a new tab in the domain', () => {
    const wanted = wantedBindings(weztermOptions.parse({ domain: 'nostromo' }));
    expect(wanted.map((want) => [want.label, want.action])).toEqual([
      ['CMD+S', { name: 'ShowLauncherArgs', flags: 'FUZZY|DOMAINS' }],
      ['CMD+SHIFT+T', { name: 'SpawnTab', domain: 'nostromo' }],
      ['CTRL+SHIFT+T', { name: 'SpawnTab', domain: 'nostromo' }],
    ]);
  });

  it('changes the defaults: same keys replace, false leaves a combination alone, others are added', () => {
    const options = weztermOptions.parse({
      keys: [
        { key: 'T', mods: 'CTRL', action: false },
        { key: 's', mods: 'SUPER', action: 'ShowLauncherArgs', flags: 'FUZZY|DOMAINS|TABS' },
        { key: 'Enter', mods: 'CMD|ALT', action: 'SpawnTab' },
      ],
    });
    expect(wantedBindings(options).map((want) => [want.label, want.action.name])).toEqual([
      ['SUPER+S', 'ShowLauncherArgs'],
      ['CMD+SHIFT+T', 'SpawnTab'],
      ['CMD+ALT+Enter', 'SpawnTab'],
    ]);
    expect(wantedBindings(options)[0]?.action).toEqual({
      name: 'ShowLauncherArgs',
      flags: 'FUZZY|DOMAINS|TABS',
    });
    expect(wantedBindings(weztermOptions.parse({ keys: false }))).toEqual([]);
  });

  it('refuses an unknown modifier, naming the ones WezTerm knows', () => {
    expect(messages([{ key: 't', mods: 'CMD|HYPER', action: 'SpawnTab' }])).toEqual([
      expect.stringMatching(
        /^keys\.0\.mods: unknown modifier "HYPER": WezTerm knows SHIFT, CTRL, ALT, OPT, META, SUPER, CMD, WIN, LEADER, NONE/,
      ),
    ]);
    expect(messages([{ key: 't', mods: 'cmd', action: 'SpawnTab' }])[0]).toMatch(
      /unknown modifier "cmd".*upper-case/,
    );
  });

  it('refuses an unknown action, naming the two it knows and false', () => {
    expect(messages([{ key: 't', mods: 'CMD', action: 'SpawnWindow' }])).toEqual([
      'keys.0.action: one of ShowLauncherArgs, SpawnTab, false',
    ]);
  });

  it('refuses keys of the wrong type, and bindings that are one after normalisation', () => {
    expect(messages('CMD+S')).toEqual(['keys: Invalid input: expected array, received string']);
    expect(messages(true)).toEqual(['keys: Invalid input: expected array, received boolean']);
    expect(
      messages([
        { key: 't', mods: 'CMD|SHIFT', action: 'SpawnTab' },
        { key: 'T', mods: 'SUPER', action: false },
      ]),
    ).toEqual([
      'keys.1: CMD+SHIFT+T is the same binding as keys[0] once WezTerm normalises it (CMD = SUPER; SHIFT+letter = the upper-case letter)'.replace(
        'CMD+SHIFT+T',
        'SUPER+T',
      ),
    ]);
    expect(messages([{ key: 'CMD|t', action: 'SpawnTab' }])[0]).toMatch(/modifiers go in `mods`/);
    expect(messages([{ key: 't', mods: 'CMD', action: 'SpawnTab', flags: 'FUZZY' }])[0]).toMatch(
      /flags.*ShowLauncherArgs only/,
    );
    expect(
      messages([{ key: 's', mods: 'CMD', action: 'ShowLauncherArgs', flags: 'FUZZY|HOSTS' }])[0],
    ).toMatch(/ShowLauncherArgs flags are FUZZY, TABS/);
    expect(messages([{ key: 's', mods: 'CMD', action: 'SpawnTab', extra: 1 }])[0]).toMatch(/extra/);
  });

  it('refuses the domain name "local", which is WezTerm\'s own', () => {
    const result = weztermOptions.safeParse({ domain: 'local' });
    expect(result.success).toBe(false);
  });
});
