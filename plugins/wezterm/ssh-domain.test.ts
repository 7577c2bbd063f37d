import { readFileSync } from 'node:fs';
import path from 'node:path';
import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/harness/sandbox.ts';
import { evaluateWezTermConfig } from '../../test/harness/wezterm-lua.ts';
import { planSshDomain } from './ssh-domain.ts';

const fixture = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/wezterm', name), 'utf8');
const want = { name: 'ascalon', remoteAddress: 'lima-default' };
const UTILS = `return { get_username = function() return 'rbha18' end, get_nix_binary = function(name) return '/etc/profiles/per-user/rbha18/bin/' .. name end }`;

/** The lines a change removed and added; everything else is byte for byte the same. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    if (part.removed) removed.push(...part.value.split('\n').filter(Boolean));
    if (part.added) added.push(...part.value.split('\n').filter(Boolean));
  }
  return { removed, added };
}

/** Plan, check that a second plan is clean, and return the new text. */
/** The error a promise rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

async function converge(
  text: string,
  file: string,
  wanted = want,
): Promise<{ text: string; changes: string[] }> {
  const plan = await planSshDomain(text, file, wanted);
  const again = await planSshDomain(plan.text, file, wanted);
  expect(again.changes).toEqual([]);
  expect(again.text).toBe(plan.text);
  return plan;
}

describe('the ssh_domains entry', () => {
  it('sysinit shape (a module whose get_basic_config returns ssh_domains): a hard-coded 127.0.0.1:62068 becomes lima-default', async () => {
    const before = fixture('sysinit-core.lua');
    const plan = await converge(before, 'core.lua');
    expect(plan.changes).toEqual(['ascalon: remote_address "127.0.0.1:62068" → "lima-default" (line 18)']);
    expect(changedLines(before, plan.text)).toEqual({
      removed: ['        remote_address = "127.0.0.1:62068", -- the port Lima printed last time'],
      added: ['        remote_address = "lima-default", -- the port Lima printed last time'],
    });
    const config = await evaluateWezTermConfig(
      "local config = require('wezterm').config_builder()\nrequire('sysinit.pkg.core').setup(config)\nreturn config",
      { 'sysinit.pkg.core': plan.text, 'sysinit.pkg.utils': UTILS },
    );
    expect(config.ssh_domains).toEqual([
      { name: 'ascalon', remote_address: 'lima-default', username: 'rbha18', multiplexing: 'None' },
      { name: 'arrakis', remote_address: 'arrakis', username: 'rbha18' },
      { name: 'lv426', remote_address: 'lv426', username: 'rbha18' },
    ]);
  });

  it('M.setup(config) without the domain, single quotes: the entry is appended in that style', async () => {
    const before = fixture('setup-module-domains.lua');
    const plan = await converge(before, 'domains.lua');
    expect(plan.changes).toEqual([
      'no ssh_domains entry named ascalon: one is added (ssh_domains at line 5)',
    ]);
    expect(changedLines(before, plan.text)).toEqual({
      removed: [],
      added: ["    { name = 'ascalon', remote_address = 'lima-default', multiplexing = 'None' },"],
    });
    const config = await evaluateWezTermConfig(
      "local config = {}\nrequire('domains').setup(config)\nreturn config",
      { domains: plan.text },
    );
    expect(config.ssh_domains).toEqual([
      { name: 'devbox', remote_address: 'devbox.internal:2222', username: 'dev' },
      { name: 'pi', remote_address: 'raspberrypi.local', multiplexing: 'None' },
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
    ]);
  });

  it('config_builder() with Lua 5.4 <const>, tabs: multiplexing "WezTerm" becomes "None", assume_shell stays', async () => {
    const before = fixture('config-builder.lua');
    const plan = await converge(before, 'wezterm.lua');
    expect(changedLines(before, plan.text)).toEqual({
      removed: ['\t\tmultiplexing = "WezTerm",'],
      added: ['\t\tmultiplexing = "None",'],
    });
    const config = await evaluateWezTermConfig(plan.text);
    expect(config.ssh_domains).toEqual([
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None', assume_shell: 'Posix' },
    ]);
  });

  it('an empty ssh_domains = {} in a returned table gets the entry, one field per line', async () => {
    const before = fixture('legacy-table.lua');
    const plan = await converge(before, 'wezterm.lua');
    expect(changedLines(before, plan.text)).toEqual({
      removed: ['  ssh_domains = {},'],
      added: [
        '  ssh_domains = {',
        '    {',
        '      name = "ascalon",',
        '      remote_address = "lima-default",',
        '      multiplexing = "None",',
        '    },',
        '  },',
      ],
    });
    expect((await evaluateWezTermConfig(plan.text)).ssh_domains).toEqual([
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
    ]);
  });

  it('adds the fields that are missing inside an inline entry, and changing the domain moves to a new entry', async () => {
    const before = `local config = {}\nconfig.ssh_domains = { { name = "ascalon", username = "me" }, { name = "nostromo", remote_address = "lima-default" } }\nreturn config\n`;
    const plan = await converge(before, 'w.lua');
    expect(plan.text).toBe(
      `local config = {}\nconfig.ssh_domains = { { name = "ascalon", username = "me", remote_address = "lima-default", multiplexing = "None" }, { name = "nostromo", remote_address = "lima-default" } }\nreturn config\n`,
    );
    const other = await converge(plan.text, 'w.lua', { name: 'nostromo', remoteAddress: 'lima-work' });
    expect(other.changes).toEqual([
      'nostromo: remote_address "lima-default" → "lima-work" (line 2)',
      'nostromo: multiplexing is not set → "None" (line 2)',
    ]);
  });

  it('edits at the right place after non-ASCII text (nerd-font glyphs, emoji) earlier in the file', async () => {
    const before = `-- 󰆍 terminal ✨ café 😀\nlocal c = { tab = "󰓩 " }\nc.ssh_domains = { { name = "ascalon", remote_address = "x" } }\nreturn c\n`;
    const plan = await converge(before, 'w.lua');
    expect(plan.text).toBe(
      `-- 󰆍 terminal ✨ café 😀\nlocal c = { tab = "󰓩 " }\nc.ssh_domains = { { name = "ascalon", remote_address = "lima-default", multiplexing = "None" } }\nreturn c\n`,
    );
  });

  it('follows wezterm.default_ssh_domains() with the entry added by table.insert', async () => {
    const before = [
      'local wezterm = require "wezterm"',
      'local config = wezterm.config_builder()',
      'config.ssh_domains = wezterm.default_ssh_domains()',
      "table.insert(config.ssh_domains, { name = 'ascalon', remote_address = '127.0.0.1:60022' })",
      'return config',
      '',
    ].join('\n');
    const plan = await converge(before, 'w.lua');
    expect(changedLines(before, plan.text).added).toEqual([
      "table.insert(config.ssh_domains, { name = 'ascalon', remote_address = 'lima-default', multiplexing = 'None' })",
    ]);
    expect((await evaluateWezTermConfig(plan.text)).ssh_domains).toEqual([
      { name: 'SSH:github.com', remote_address: 'github.com', multiplexing: 'None' },
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
    ]);
  });

  it('a computed list without the entry: no guess, but the exact line to add, which asc then follows', async () => {
    const before = [
      'local wezterm = require "wezterm"',
      'local config = wezterm.config_builder()',
      'config.ssh_domains = wezterm.default_ssh_domains()',
      'return config',
      '',
    ].join('\n');
    const error = await rejection(planSshDomain(before, '~/w.lua', want));
    expect(error).toMatchObject({
      code: 'E_REFUSED',
      message:
        'asc cannot follow the ssh_domains set at ~/w.lua:3: its value is computed (`wezterm.default_ssh_domains()`, line 3), so it cannot tell whether a domain named ascalon is there',
    });
    expect(error.hint).toBe(
      'add this line after line 3 of ~/w.lua (and remove any other entry named ascalon):\n  table.insert(config.ssh_domains, { name = "ascalon", remote_address = "lima-default", multiplexing = "None" })\nasc then finds it',
    );
    const fixed = before.replace('return config', `${error.hint!.split('\n')[1]!.trim()}\nreturn config`);
    expect((await planSshDomain(fixed, '~/w.lua', want)).changes).toEqual([]);
  });

  it('a list built in a loop: the exact entry to add inside the table; once added, asc edits it like any other', async () => {
    const before = [
      'local config = {}',
      'config.ssh_domains = {}',
      'for _, host in ipairs({ "arrakis", "lv426" }) do',
      '  table.insert(config.ssh_domains, { name = host, remote_address = host })',
      'end',
      'return config',
      '',
    ].join('\n');
    const error = await rejection(planSshDomain(before, 'w.lua', want));
    expect(error.message).toBe(
      'asc cannot follow the ssh_domains set at w.lua:2: it holds entries, or gets them added, in ways asc cannot read, so it cannot tell whether a domain named ascalon is there',
    );
    expect(error.hint).toBe(
      'add this entry to the ssh_domains table at line 2 of w.lua (and remove any other entry named ascalon):\n  { name = "ascalon", remote_address = "lima-default", multiplexing = "None" },\nasc then finds it',
    );
    const added = before.replace(
      'config.ssh_domains = {}',
      'config.ssh_domains = {\n  { name = "ascalon", remote_address = "127.0.0.1:60022" },\n}',
    );
    const plan = await converge(added, 'w.lua');
    expect(plan.changes).toEqual([
      'ascalon: remote_address "127.0.0.1:60022" → "lima-default" (line 3)',
      'ascalon: multiplexing is not set → "None" (line 3)',
    ]);
    expect((await evaluateWezTermConfig(plan.text)).ssh_domains).toEqual([
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
      { name: 'arrakis', remote_address: 'arrakis' },
      { name: 'lv426', remote_address: 'lv426' },
    ]);
  });

  it('a file without ssh_domains: an error that says which assignment asc looked for, and where', async () => {
    const error = await rejection(
      planSshDomain(fixture('keybindings-module.lua'), '~/sysinit/keys.lua', want),
    );
    expect(error.message).toBe(
      '~/sysinit/keys.lua sets no ssh_domains: asc looked for an assignment `config.ssh_domains = { … }` (any `<table>.ssh_domains = …`) and for a table field `ssh_domains = { … }`, and found neither',
    );
    expect(error.hint).toContain(
      'config.ssh_domains = {\n    { name = "ascalon", remote_address = "lima-default", multiplexing = "None" },\n  }',
    );
  });

  it('two places that set ssh_domains, or two entries named ascalon, are refused with their lines', async () => {
    await expect(
      planSshDomain(
        'local c = {}\nc.ssh_domains = {}\nif x then\n  c.ssh_domains = {}\nend\n',
        'w.lua',
        want,
      ),
    ).rejects.toThrow(
      'w.lua sets ssh_domains in 2 places (lines 2, 4): asc cannot tell which one WezTerm ends up with',
    );
    await expect(
      planSshDomain(
        'return { ssh_domains = {\n  { name = "ascalon" },\n  { name = "ascalon" },\n} }\n',
        'w.lua',
        want,
      ),
    ).rejects.toThrow('w.lua has 2 ssh_domains entries named ascalon (lines 2, 3)');
  });
});
