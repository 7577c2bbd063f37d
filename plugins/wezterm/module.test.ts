// ascalon.lua, run by a real Lua 5.4 VM with the wezterm stub on the config tables real files build.
import { describe, expect, it } from 'vitest';
import { bindingsByKeys, evaluateWezTermConfig } from '../../test/harness/wezterm-lua.ts';
import { MODULE_MARK, type ModuleSpec, renderModule } from './module.ts';
import { weztermOptions } from './options.ts';
import { moduleSpec } from './spec.ts';

const MODULE = renderModule(moduleSpec(weztermOptions.parse({}), 'default'));
const OURS = { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' };
const LAUNCHER = { action: 'ShowLauncherArgs', arg: { flags: 'FUZZY|DOMAINS' } };
const TAB = { action: 'SpawnTab', arg: { DomainName: 'ascalon' } };

/** The config `body` builds (it ends with `return config`), through the module. */
const through = (body: string, module = MODULE) =>
  evaluateWezTermConfig(
    `local wezterm = require 'wezterm'\nlocal act = wezterm.action\nlocal config = wezterm.config_builder()\n${body}\nreturn require('ascalon')(require('ascalon')(config))`,
    { ascalon: module },
  );

describe('ascalon.lua', () => {
  it('starts with the mark that says asc wrote it', () => {
    expect(MODULE.startsWith(`${MODULE_MARK}\n`)).toBe(true);
  });

  it("without ssh_domains: WezTerm's default SSH:<host> domains stay, ours is added", async () => {
    const config = await through('');
    expect(config.ssh_domains).toEqual([
      { name: 'SSH:github.com', remote_address: 'github.com', multiplexing: 'None' },
      { name: 'SSHMUX:github.com', remote_address: 'github.com', multiplexing: 'WezTerm' },
      OURS,
    ]);
  });

  it('a stale domain of our name (and one in another list) goes; the others keep their order and fields', async () => {
    const config = await through(
      [
        'config.ssh_domains = {',
        "  { name = 'ascalon', remote_address = '127.0.0.1:62068', username = 'rbha18', multiplexing = 'None' },",
        "  { name = 'arrakis', remote_address = 'arrakis', username = 'rbha18' },",
        '}',
        "config.unix_domains = { { name = 'unix' }, { name = 'ascalon' } }",
      ].join('\n'),
    );
    expect(config.ssh_domains).toEqual([
      { name: 'arrakis', remote_address: 'arrakis', username: 'rbha18' },
      OURS,
    ]);
    expect(config.unix_domains).toEqual([{ name: 'unix' }]);
  });

  it('every binding of our combinations goes, compared as WezTerm compares them; every other binding stays', async () => {
    const config = await through(
      [
        'config.leader = { key = "a", mods = "CTRL" }',
        'config.key_tables = { resize = { { key = "s", mods = "CMD", action = act.PopKeyTable } } }',
        'config.keys = {',
        '  { key = "s", mods = "CMD", action = act.SaveFile },',
        '  { key = "T", mods = "SUPER", action = act.CloseCurrentTab { confirm = true } },',
        '  { key = "t", mods = " SHIFT | CMD ", action = act.Nop },',
        '  { key = "mapped:T", mods = "CTRL|SHIFT", action = act.Nop },',
        '  { key = "t", mods = "CMD", action = act.SpawnTab "CurrentPaneDomain" },',
        '  { key = "s", mods = "LEADER", action = act.Search "CurrentSelectionOrEmptyString" },',
        '  { key = "phys:S", mods = "CMD", action = act.Nop },',
        '}',
      ].join('\n'),
    );
    expect(Object.fromEntries(bindingsByKeys(config.keys))).toEqual({
      't SUPER': [{ action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
      's LEADER': [{ action: 'Search', arg: 'CurrentSelectionOrEmptyString' }],
      'phys:S SUPER': [{ action: 'Nop' }],
      's SUPER': [LAUNCHER],
      'T SUPER': [TAB],
      'T CTRL': [TAB],
    });
    expect(config.leader).toEqual({ key: 'a', mods: 'CTRL' });
    expect(config.key_tables).toEqual({
      resize: [{ key: 's', mods: 'CMD', action: { action: 'PopKeyTable' } }],
    });
  });

  it('with key_map_preference = "Physical", a physical CMD+S is the same keys as ours', async () => {
    const config = await through(
      'config.key_map_preference = "Physical"\nconfig.keys = { { key = "phys:S", mods = "CMD", action = act.Nop } }',
    );
    expect(config.keys?.map((binding) => binding.action)).toEqual([LAUNCHER, TAB, TAB]);
  });

  it('a domain kind and a binding added to the description land the same way (a unix domain, retargeted keys)', async () => {
    const spec: ModuleSpec = {
      domains: [{ list: 'unix_domains', fields: { name: 'ascalon-mux', socket_path: '/tmp/s' } }],
      bindings: [{ key: 't', mods: 'CMD|SHIFT', action: 'SpawnTab', arg: { DomainName: 'ascalon-mux' } }],
    };
    const config = await through('', renderModule(spec));
    expect(config.unix_domains).toEqual([{ name: 'unix' }, { name: 'ascalon-mux', socket_path: '/tmp/s' }]);
    expect(config.ssh_domains).toBeUndefined();
    expect(config.keys).toEqual([
      { key: 't', mods: 'CMD|SHIFT', action: { action: 'SpawnTab', arg: { DomainName: 'ascalon-mux' } } },
    ]);
  });

  it('sshOption goes into our entry as ssh_option', async () => {
    const options = weztermOptions.parse({
      sshOption: { userknownhostsfile: '/Users/me/.ssh/known_hosts_lima' },
    });
    const config = await through('config.ssh_domains = {}', renderModule(moduleSpec(options, 'default')));
    expect(config.ssh_domains).toEqual([
      { ...OURS, ssh_option: { userknownhostsfile: '/Users/me/.ssh/known_hosts_lima' } },
    ]);
  });

  it('`keys: false` leaves the keys alone', async () => {
    const module = renderModule(moduleSpec(weztermOptions.parse({ keys: false }), 'default'));
    const config = await through('config.keys = { { key = "s", mods = "CMD", action = act.Nop } }', module);
    expect(config.keys).toEqual([{ key: 's', mods: 'CMD', action: { action: 'Nop' } }]);
  });
});
