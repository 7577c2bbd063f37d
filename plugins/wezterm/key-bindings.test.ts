import { readFileSync } from 'node:fs';
import path from 'node:path';
import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/harness/sandbox.ts';
import {
  bindingsByKeys,
  type EvaluatedConfig,
  evaluateWezTermConfig,
} from '../../test/harness/wezterm-lua.ts';
import { planKeys } from './key-bindings.ts';
import { wantedBindings, weztermOptions } from './options.ts';

const fixture = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/wezterm', name), 'utf8');
const wanted = wantedBindings(weztermOptions.parse({}));

const LAUNCHER = { action: 'ShowLauncherArgs', arg: { flags: 'FUZZY|DOMAINS' } };
const NEW_TAB = { action: 'SpawnTab', arg: { DomainName: 'ascalon' } };

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    if (part.removed) removed.push(...part.value.split('\n').filter(Boolean));
    if (part.added) added.push(...part.value.split('\n').filter(Boolean));
  }
  return { removed, added };
}

/** The error a promise rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

async function converge(text: string, file = 'keys.lua', want = wanted) {
  const plan = await planKeys(text, file, want);
  const again = await planKeys(plan.text, file, want);
  expect(again.changes).toEqual([]);
  expect(again.text).toBe(plan.text);
  return plan;
}

/** The evaluated bindings, one list of actions per combination, after WezTerm's normalisation. */
async function bindings(config: Promise<EvaluatedConfig>) {
  return Object.fromEntries(bindingsByKeys((await config).keys));
}

describe('the key bindings', () => {
  it('keys module with `local act`, defaults disabled: CMD|SHIFT T → DefaultDomain is replaced in place, its duplicate removed', async () => {
    const before = fixture('keybindings-module.lua');
    const plan = await converge(before);
    expect(plan.changes).toEqual([
      `CMD+SHIFT+T: act.SpawnTab 'DefaultDomain' → SpawnTab { DomainName = "ascalon" } (line 13)`,
      'CMD+SHIFT+T: another binding of the same keys removed (line 15)',
      'CMD+S → ShowLauncherArgs { flags = "FUZZY|DOMAINS" } added (keys at line 8)',
      'CTRL+SHIFT+T → SpawnTab { DomainName = "ascalon" } added (keys at line 8)',
    ]);
    expect(changedLines(before, plan.text)).toEqual({
      removed: [
        "    { key = 'T', mods = 'CMD|SHIFT', action = act.SpawnTab 'DefaultDomain' },",
        "    { key = 'T', mods = 'SUPER', action = act.SpawnWindow }, -- the same keys as CMD|SHIFT T",
      ],
      added: [
        "    { key = 'T', mods = 'CMD|SHIFT', action = act.SpawnTab { DomainName = 'ascalon' } },",
        "    { key = 's', mods = 'CMD', action = act.ShowLauncherArgs { flags = 'FUZZY|DOMAINS' } },",
        "    { key = 't', mods = 'CTRL|SHIFT', action = act.SpawnTab { DomainName = 'ascalon' } },",
      ],
    });
    const config = evaluateWezTermConfig("local c = {}\nrequire('keys').setup(c)\nreturn c", {
      keys: plan.text,
    });
    expect((await config).disable_default_key_bindings).toBe(true);
    expect(await bindings(config)).toEqual({
      'c SUPER': [{ action: 'CopyTo', arg: 'Clipboard' }],
      'v SUPER': [{ action: 'PasteFrom', arg: 'Clipboard' }],
      't SUPER': [{ action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
      'T SUPER': [NEW_TAB],
      'w SUPER': [{ action: 'CloseCurrentTab', arg: { confirm: true } }],
      's SUPER': [LAUNCHER],
      'T CTRL': [NEW_TAB],
    });
  });

  it("config_builder() config: new bindings copy the file's wezterm.action.X({ … }) spelling", async () => {
    const before = fixture('config-builder.lua');
    const plan = await converge(before, 'wezterm.lua');
    expect(changedLines(before, plan.text)).toEqual({
      removed: [],
      added: [
        '\t{ key = "s", mods = "CMD", action = wezterm.action.ShowLauncherArgs({ flags = "FUZZY|DOMAINS" }) },',
        '\t{ key = "t", mods = "CMD|SHIFT", action = wezterm.action.SpawnTab({ DomainName = "ascalon" }) },',
        '\t{ key = "t", mods = "CTRL|SHIFT", action = wezterm.action.SpawnTab({ DomainName = "ascalon" }) },',
      ],
    });
    expect(await bindings(evaluateWezTermConfig(plan.text))).toMatchObject({
      's SUPER': [LAUNCHER],
      'T SUPER': [NEW_TAB],
      'T CTRL': [NEW_TAB],
    });
  });

  it('the older wezterm.action{ X = … } form: flags changed in place, new entries in the same compact form', async () => {
    const before = fixture('legacy-table.lua');
    const plan = await converge(before, 'wezterm.lua');
    expect(changedLines(before, plan.text)).toEqual({
      removed: ['    {key="s", mods="CMD", action=wezterm.action{ShowLauncherArgs={flags="FUZZY|TABS"}}},'],
      added: [
        '    {key="s", mods="CMD", action=wezterm.action{ShowLauncherArgs={flags="FUZZY|DOMAINS"}}},',
        '    {key="t", mods="CMD|SHIFT", action=wezterm.action{SpawnTab={DomainName="ascalon"}}},',
        '    {key="t", mods="CTRL|SHIFT", action=wezterm.action{SpawnTab={DomainName="ascalon"}}},',
      ],
    });
    expect(await bindings(evaluateWezTermConfig(plan.text))).toEqual({
      's SUPER': [LAUNCHER],
      'n SUPER': ['SpawnWindow'],
      'T SUPER': [NEW_TAB],
      'T CTRL': [NEW_TAB],
    });
  });

  it('keeps the other fields of the same action, and the raw { SpawnTab = … } form', async () => {
    const before = [
      'local wezterm = require("wezterm")',
      'return {',
      '  keys = {',
      '    { key = "t", mods = "SHIFT|CMD", action = wezterm.action.SpawnTab { DomainName = "old", cwd = "/tmp" } },',
      '    { key = "T", mods = "CTRL", action = { SpawnTab = "CurrentPaneDomain" } },',
      '    { key = "s", mods = "SUPER", action = { ShowLauncherArgs = { flags = "DOMAINS|FUZZY", title = "Where?" } } },',
      '  },',
      '}',
      '',
    ].join('\n');
    const plan = await converge(before);
    expect(changedLines(before, plan.text)).toEqual({
      removed: [
        '    { key = "t", mods = "SHIFT|CMD", action = wezterm.action.SpawnTab { DomainName = "old", cwd = "/tmp" } },',
        '    { key = "T", mods = "CTRL", action = { SpawnTab = "CurrentPaneDomain" } },',
      ],
      added: [
        '    { key = "t", mods = "SHIFT|CMD", action = wezterm.action.SpawnTab { DomainName = "ascalon", cwd = "/tmp" } },',
        '    { key = "T", mods = "CTRL", action = { SpawnTab = { DomainName = "ascalon" } } },',
      ],
    });
    // The launcher's flags are the same set in another order, and its title stays.
    expect(plan.changes.some((change) => change.startsWith('CMD+S:'))).toBe(false);
  });

  it('entries one field per line get new entries one field per line', async () => {
    const before = [
      'local act = require("wezterm").action',
      'local config = {}',
      'config.keys = {',
      '  {',
      '    key = "w",',
      '    mods = "CMD",',
      '    action = act.CloseCurrentPane { confirm = true },',
      '  },',
      '}',
      'return config',
      '',
    ].join('\n');
    const plan = await converge(before, 'k.lua', wanted.slice(0, 1));
    expect(changedLines(before, plan.text).added).toEqual([
      '  {',
      '    key = "s",',
      '    mods = "CMD",',
      '    action = act.ShowLauncherArgs { flags = "FUZZY|DOMAINS" },',
      '  },',
    ]);
  });

  it('bindings added in a loop with other modifiers do not stop asc', async () => {
    const before = [
      'local wezterm = require("wezterm")',
      'local config = wezterm.config_builder()',
      'config.keys = {}',
      'for i = 1, 8 do',
      '  table.insert(config.keys, { key = tostring(i), mods = "ALT", action = wezterm.action.ActivateTab(i - 1) })',
      'end',
      'return config',
      '',
    ].join('\n');
    const plan = await converge(before);
    const evaluated = await bindings(evaluateWezTermConfig(plan.text));
    expect(evaluated['s SUPER']).toEqual([LAUNCHER]);
    expect(evaluated['1 ALT']).toEqual([{ action: 'ActivateTab', arg: 0 }]);
  });

  it('a loop that may bind CMD keys: no guess; the bindings it could hide are named with the lines to add', async () => {
    const before = [
      'local wezterm = require("wezterm")',
      'local config = wezterm.config_builder()',
      'config.keys = {}',
      'for _, key in ipairs({ "s", "t" }) do',
      '  table.insert(config.keys, { key = key, mods = "CMD", action = wezterm.action.Nop })',
      'end',
      'return config',
      '',
    ].join('\n');
    const error = await rejection(planKeys(before, '~/k.lua', wanted));
    expect(error.message).toBe(
      'asc cannot follow the keys set at ~/k.lua:3: bindings are added to it in ways asc cannot read, so it cannot tell whether CMD+S, CMD+SHIFT+T are bound already',
    );
    expect(error.hint).toContain(
      'add these lines to the keys table at line 3 of ~/k.lua, and remove any other binding of these keys:\n  { key = "s", mods = "CMD", action = wezterm.action.ShowLauncherArgs { flags = "FUZZY|DOMAINS" } },',
    );
  });

  it('keys computed by functions (the sysinit shape): the exact lines to add; once added by hand, asc follows', async () => {
    const before = fixture('computed-keys.lua');
    const error = await rejection(planKeys(before, '~/sysinit/keybindings.lua', wanted));
    expect(error.message).toBe(
      'asc cannot follow the keys set at ~/sysinit/keybindings.lua:35: its value is computed (`merge(tab_keys())`, line 33), so it cannot tell whether CMD+S, CMD+SHIFT+T, CTRL+SHIFT+T are bound already',
    );
    const lines = error.hint!.split('\n').filter((line) => line.startsWith('  table.insert'));
    expect(lines).toEqual([
      '  table.insert(config.keys, { key = "s", mods = "CMD", action = act.ShowLauncherArgs { flags = "FUZZY|DOMAINS" } })',
      '  table.insert(config.keys, { key = "t", mods = "CMD|SHIFT", action = act.SpawnTab { DomainName = "ascalon" } })',
      '  table.insert(config.keys, { key = "t", mods = "CTRL|SHIFT", action = act.SpawnTab { DomainName = "ascalon" } })',
    ]);
    expect(error.hint).toContain('add these lines after line 35 of ~/sysinit/keybindings.lua');
    // The user follows the hint: the lines after line 35, and the computed CMD+SHIFT+T binding removed.
    const edited = before
      .split('\n')
      .filter((line) => !line.includes('bind("t", "SUPER|SHIFT"'))
      .join('\n')
      .replace('  config.keys = keys\n', `  config.keys = keys\n${lines.join('\n')}\n`);
    expect((await planKeys(edited, 'keybindings.lua', wanted)).changes).toEqual([]);
    const evaluated = await bindings(
      evaluateWezTermConfig("local c = {}\nrequire('keys').setup(c)\nreturn c", { keys: edited }),
    );
    expect(evaluated).toMatchObject({ 's SUPER': [LAUNCHER], 'T SUPER': [NEW_TAB], 'T CTRL': [NEW_TAB] });
    expect(evaluated['t SUPER']).toEqual([{ action: 'SpawnTab', arg: 'CurrentPaneDomain' }]);
  });

  it('a file without keys says what asc looked for', async () => {
    await expect(planKeys(fixture('sysinit-core.lua'), '~/core.lua', wanted)).rejects.toThrow(
      '~/core.lua sets no keys: asc looked for an assignment `config.keys = { … }` (any `<table>.keys = …`) and for a table field `keys = { … }`, and found neither',
    );
  });

  it('keys: false in the options: nothing to check', async () => {
    const none = wantedBindings(weztermOptions.parse({ keys: false }));
    expect(await planKeys('this is not even Lua', 'k.lua', none)).toEqual({
      text: 'this is not even Lua',
      changes: [],
      found: [],
    });
  });
});
