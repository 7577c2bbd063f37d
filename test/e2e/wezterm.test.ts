// The wezterm plugin against the simulated Mac: the built CLI edits real Lua files in the shapes real
// configs take, and each converged config is evaluated by a real Lua 5.4 VM with a stub wezterm module.
// Without /usr/sbin/sshd these tests skip, except in CI where they fail.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diffLines } from 'diff';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';
import { bindingsByKeys, type EvaluatedConfig, evaluateWezTermConfig } from '../harness/wezterm-lua.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

const FIXTURES = path.join(ROOT, 'test/fixtures/wezterm');
/** Where the user's WezTerm modules live in their sysinit repo. */
const PKG = 'github/sysinit/modules/darwin/home/wezterm/lua/sysinit/pkg';
const UTILS = `return { get_username = function() return 'rbha18' end, get_nix_binary = function(name) return '/etc/profiles/per-user/rbha18/bin/' .. name end }`;
const LAUNCHER = { action: 'ShowLauncherArgs', arg: { flags: 'FUZZY|DOMAINS' } };
const tab = (domain: string) => ({ action: 'SpawnTab', arg: { DomainName: domain } });

interface Row {
  id: string;
  status: string;
  reason: string | null;
  diff: string | null;
}

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    if (part.removed) removed.push(...part.value.split('\n').filter(Boolean));
    if (part.added) added.push(...part.value.split('\n').filter(Boolean));
  }
  return { removed, added };
}

describe.skipIf(skip).sequential('the wezterm plugin on a simulated Mac', () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'github/sysinit');
    // `task`, as the user's Taskfile runs it: it says what it does and counts its runs in ~/deploys.log.
    await sandbox.addBin(
      'task',
      '#!/bin/sh\necho "task: [nix:refresh:work] home-manager switch"\necho "$PWD $*" >> "$HOME/deploys.log"\n[ -z "$FAIL_DEPLOY" ] || { echo "error: attribute missing" >&2; exit 1; }\n',
    );
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (wezterm: string, extra = '') =>
    sandbox.write(
      'github/sysinit/.ascrc.yaml',
      `plugins:\n  lima: {}\n  wezterm:\n${wezterm.replace(/^/gm, '    ')}\n${extra}`,
    );
  const copy = async (fixture: string, to: string) =>
    sandbox.write(to, await readFile(path.join(FIXTURES, fixture), 'utf8'));
  /** The sandbox's files, but the fake limactl's own call log (which a read-only limactl call appends to). */
  const snapshot = async () => {
    const files = await sandbox.snapshot();
    for (const key of files.keys()) if (key.endsWith('.fake-limactl-calls.log')) files.delete(key);
    return files;
  };
  const rows = (stdout: string) => (JSON.parse(stdout) as { tasks: Row[] }).tasks;
  const statuses = (stdout: string) => Object.fromEntries(rows(stdout).map((row) => [row.id, row.status]));
  const deploys = async () => (await sandbox.read('deploys.log').catch(() => '')).split('\n').filter(Boolean);
  /** The sysinit repo's WezTerm config, as its wezterm.lua loads it, after asc edited it. */
  const evaluateSysinit = async () =>
    evaluateWezTermConfig(
      [
        "local wezterm = require('wezterm')",
        'local config = wezterm.config_builder()',
        "require('sysinit.pkg.keybindings').setup(config)",
        "require('sysinit.pkg.core').setup(config)",
        'return config',
      ].join('\n'),
      {
        'sysinit.pkg.core': await sandbox.read(`${PKG}/core.lua`),
        'sysinit.pkg.keybindings': await sandbox.read(`${PKG}/keybindings.lua`),
        'sysinit.pkg.utils': UTILS,
      },
    );
  const sysinitOptions = (domain = 'ascalon') =>
    [
      `domain: ${domain}`,
      `configFile: ~/${PKG}/core.lua`,
      `keysFile: ~/${PKG}/keybindings.lua`,
      'deploy: task nix:refresh:work',
    ].join('\n');

  it('a fresh Mac: run phase1 makes the VM, fixes the sysinit domain and keys, deploys once; a second run changes nothing', async () => {
    await copy('sysinit-core.lua', `${PKG}/core.lua`);
    await copy('keybindings-module.lua', `${PKG}/keybindings.lua`);
    await config(sysinitOptions());
    const coreBefore = await sandbox.read(`${PKG}/core.lua`);

    const run = await sandbox.asc(['run', 'phase1', '--yes'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/✔ WezTerm domain ascalon → lima-default \(wezterm\.ssh-domain\): changed/);
    expect(run.stdout).toMatch(
      /✔ WezTerm keys CMD\+S, CMD\+SHIFT\+T, CTRL\+SHIFT\+T \(wezterm\.keys\): changed/,
    );
    expect(run.stdout).toMatch(
      /✔ Deploy the WezTerm config: task nix:refresh:work \(wezterm\.deploy\): changed/,
    );
    // The deploy's output shows under its row, and it ran once, in the config file's folder.
    expect(run.stdout).toContain('  wezterm.deploy: task: [nix:refresh:work] home-manager switch');
    expect(await deploys()).toEqual([`${path.join(sandbox.home, PKG)} nix:refresh:work`]);
    expect(await mac.vmRunning('default')).toBe(true);

    // Byte for byte the same outside the changed span: the comment on the line stays too.
    expect(changedLines(coreBefore, await sandbox.read(`${PKG}/core.lua`))).toEqual({
      removed: ['        remote_address = "127.0.0.1:62068", -- the port Lima printed last time'],
      added: ['        remote_address = "lima-default", -- the port Lima printed last time'],
    });
    const evaluated = await evaluateSysinit();
    expect(evaluated.ssh_domains).toEqual([
      { name: 'ascalon', remote_address: 'lima-default', username: 'rbha18', multiplexing: 'None' },
      { name: 'arrakis', remote_address: 'arrakis', username: 'rbha18' },
      { name: 'lv426', remote_address: 'lv426', username: 'rbha18' },
    ]);
    expect(evaluated.disable_default_key_bindings).toBe(true);
    const keys = Object.fromEntries(bindingsByKeys(evaluated.keys));
    expect(keys).toEqual({
      'c SUPER': [{ action: 'CopyTo', arg: 'Clipboard' }],
      'v SUPER': [{ action: 'PasteFrom', arg: 'Clipboard' }],
      't SUPER': [{ action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
      'T SUPER': [tab('ascalon')],
      'w SUPER': [{ action: 'CloseCurrentTab', arg: { confirm: true } }],
      's SUPER': [LAUNCHER],
      'T CTRL': [tab('ascalon')],
    });
    // The alias the domain names is the one ssh resolves through the Include lima.ssh-include added.
    const ssh = await sandbox.exec('ssh', [
      '-F',
      path.join(sandbox.home, '.ssh/config'),
      '-G',
      'lima-default',
    ]);
    expect(ssh.stdout).toMatch(/^hostname 127\.0\.0\.1$/m);

    const again = await sandbox.asc(['run', 'phase1', '--json'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(statuses(again.stdout)).toMatchObject({
      'wezterm.ssh-domain': 'ok',
      'wezterm.keys': 'ok',
      'wezterm.deploy': 'skipped',
    });
    expect(
      rows(again.stdout)
        .filter((row) => row.status !== 'ok')
        .map((row) => row.id),
    ).toEqual(['wezterm.deploy']);
    expect(await deploys()).toHaveLength(1);
    expect((await sandbox.asc(['plan', 'phase1'], { cwd })).exitCode).toBe(0);
  });

  it('changing the domain: plan exits 3 with the Lua diff and writes nothing; run redoes exactly these tasks and deploys once', async () => {
    await copy('sysinit-core.lua', `${PKG}/core.lua`);
    await copy('keybindings-module.lua', `${PKG}/keybindings.lua`);
    await config(sysinitOptions());
    expect((await sandbox.asc(['run', 'wezterm'], { cwd })).exitCode).toBe(0);
    expect(await deploys()).toHaveLength(1);

    await config(sysinitOptions('nostromo'));
    const before = await snapshot();
    const plan = await sandbox.asc(['plan', 'wezterm'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain(
      '~ wezterm.ssh-domain: no ssh_domains entry named nostromo: one is added (ssh_domains at line 15)',
    );
    expect(plan.stdout).toMatch(/^\s+\+\+\+ ~\/github\/sysinit\/.*\/pkg\/core\.lua$/m);
    expect(plan.stdout).toMatch(/^\s+\+ {8}name = "nostromo",$/m);
    expect(plan.stdout).toMatch(
      /^\s+- {4}\{ key = 'T', mods = 'CMD\|SHIFT', action = act\.SpawnTab \{ DomainName = 'ascalon' \} \},$/m,
    );
    expect(plan.stdout).toMatch(
      /^\s+\+ {4}\{ key = 'T', mods = 'CMD\|SHIFT', action = act\.SpawnTab \{ DomainName = 'nostromo' \} \},$/m,
    );
    expect(plan.stdout).toMatch(
      /~ .*\(wezterm\.deploy\): would change: would run: notified by wezterm\.ssh-domain, wezterm\.keys/,
    );
    expect(await snapshot()).toEqual(before);

    const run = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(statuses(run.stdout)).toEqual({
      'lima.installed': 'ok',
      'lima.ssh-include': 'ok',
      'wezterm.ssh-domain': 'changed',
      'wezterm.keys': 'changed',
      'wezterm.deploy': 'changed',
    });
    expect(await deploys()).toHaveLength(2);
    const evaluated = await evaluateSysinit();
    expect(evaluated.ssh_domains?.map((domain) => domain.name)).toEqual([
      'ascalon',
      'arrakis',
      'lv426',
      'nostromo',
    ]);
    expect(evaluated.ssh_domains?.at(-1)).toEqual({
      name: 'nostromo',
      remote_address: 'lima-default',
      multiplexing: 'None',
    });
    expect(Object.fromEntries(bindingsByKeys(evaluated.keys))).toMatchObject({
      'T SUPER': [tab('nostromo')],
      'T CTRL': [tab('nostromo')],
    });
  });

  it.each([
    {
      shape: 'a config_builder() config with <const> locals, domain and keys in one file',
      files: { '.config/wezterm/wezterm.lua': 'config-builder.lua' },
      options: 'configFile: ~/.config/wezterm/wezterm.lua',
      evaluate: (read: (f: string) => Promise<string>) =>
        read('.config/wezterm/wezterm.lua').then((text) => evaluateWezTermConfig(text)),
      domains: [
        { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None', assume_shell: 'Posix' },
      ],
    },
    {
      shape: 'a returned table in the older wezterm.action { … } style',
      files: { '.wezterm.lua': 'legacy-table.lua' },
      options: 'configFile: ~/.wezterm.lua',
      evaluate: (read: (f: string) => Promise<string>) =>
        read('.wezterm.lua').then((text) => evaluateWezTermConfig(text)),
      domains: [{ name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' }],
    },
    {
      shape: 'M.setup(config) modules in single quotes, the domain missing, keys with `local act`',
      files: {
        '.config/wezterm/domains.lua': 'setup-module-domains.lua',
        '.config/wezterm/keys.lua': 'keybindings-module.lua',
      },
      options: 'configFile: ~/.config/wezterm/domains.lua\nkeysFile: ~/.config/wezterm/keys.lua',
      evaluate: async (read: (f: string) => Promise<string>) =>
        evaluateWezTermConfig(
          "local config = require('wezterm').config_builder()\nrequire('domains').setup(config)\nrequire('keys').setup(config)\nreturn config",
          {
            domains: await read('.config/wezterm/domains.lua'),
            keys: await read('.config/wezterm/keys.lua'),
          },
        ),
      domains: [
        { name: 'devbox', remote_address: 'devbox.internal:2222', username: 'dev' },
        { name: 'pi', remote_address: 'raspberrypi.local', multiplexing: 'None' },
        { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
      ],
    },
  ])(
    '$shape: converged, evaluated, one binding per combination, then all ok',
    async ({ files, options, evaluate, domains }) => {
      for (const [to, fixture] of Object.entries(files)) await copy(fixture, to);
      await config(options);
      const run = await sandbox.asc(['run', 'wezterm'], { cwd });
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      const evaluated: EvaluatedConfig = await evaluate((file) => sandbox.read(file));
      expect(evaluated.ssh_domains).toEqual(domains);
      const keys = bindingsByKeys(evaluated.keys);
      for (const [combo, actions] of keys) expect(actions, combo).toHaveLength(1);
      expect(Object.fromEntries(keys)).toMatchObject({
        's SUPER': [LAUNCHER],
        'T SUPER': [tab('ascalon')],
        'T CTRL': [tab('ascalon')],
      });
      const again = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
      expect(rows(again.stdout).map((row) => row.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    },
  );

  it('a Lua file that does not parse: exit 1, the file and line named, the file untouched, no deploy', async () => {
    await copy('config-builder.lua', '.config/wezterm/wezterm.lua');
    const file = path.join(sandbox.home, '.config/wezterm/wezterm.lua');
    const broken = (await readFile(file, 'utf8')).replace(
      'config.color_scheme = "Tokyo Night"',
      'config.color_scheme = "Tokyo Night',
    );
    await sandbox.write(file, broken);
    await config('configFile: ~/.config/wezterm/wezterm.lua\ndeploy: task nix:refresh:work');
    const run = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(wezterm\.ssh-domain\): failed: ~\/\.config\/wezterm\/wezterm\.lua:5:\d+: not valid Lua \(.*\); asc left it as it is/,
    );
    expect(run.stdout).toMatch(/hint: fix line 5 of ~\/\.config\/wezterm\/wezterm\.lua/);
    expect(run.stdout).toMatch(/↓ .*\(wezterm\.keys\): skipped: need wezterm\.ssh-domain failed/);
    expect(await readFile(file, 'utf8')).toBe(broken);
    expect(await deploys()).toEqual([]);
  });

  it('keys computed by functions: exit 1 with the exact lines to add; once added by hand, asc is satisfied', async () => {
    await copy('setup-module-domains.lua', '.config/wezterm/domains.lua');
    await copy('computed-keys.lua', '.config/wezterm/keys.lua');
    await config('configFile: ~/.config/wezterm/domains.lua\nkeysFile: ~/.config/wezterm/keys.lua');
    const keysBefore = await sandbox.read('.config/wezterm/keys.lua');
    const run = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(wezterm\.keys\): failed: asc cannot follow the keys set at ~\/\.config\/wezterm\/keys\.lua:35: its value is computed \(`merge\(tab_keys\(\)\)`, line 33\)/,
    );
    expect(await sandbox.read('.config/wezterm/keys.lua')).toBe(keysBefore);
    const lines = run.stdout.split('\n').filter((line) => line.trim().startsWith('table.insert(config.keys'));
    expect(lines).toHaveLength(3);
    // Add them after line 35 as told, and drop the computed CMD+SHIFT+T binding ("remove any other").
    const edited = keysBefore
      .split('\n')
      .filter((line) => !line.includes('"SUPER|SHIFT"'))
      .join('\n')
      .replace(
        '  config.keys = keys\n',
        `  config.keys = keys\n${lines.map((line) => `  ${line.trim()}`).join('\n')}\n`,
      );
    await sandbox.write('.config/wezterm/keys.lua', edited);
    const after = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(after.exitCode).toBe(0);
    expect(await sandbox.read('.config/wezterm/keys.lua')).toBe(edited);
  });

  it('a failing deploy fails the run with its output shown and stays pending: the next run, all ok, deploys once', async () => {
    await copy('config-builder.lua', '.config/wezterm/wezterm.lua');
    await config('configFile: ~/.config/wezterm/wezterm.lua\ndeploy: task nix:refresh:work');
    const run = await sandbox.asc(['run', 'wezterm'], { cwd, env: { FAIL_DEPLOY: '1' } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('  wezterm.deploy: error: attribute missing');
    expect(run.stdout).toMatch(
      /✖ .*\(wezterm\.deploy\): failed: the deploy command exited 1: task nix:refresh:work/,
    );
    expect(await sandbox.read('.config/wezterm/wezterm.lua')).toContain('multiplexing = "None"');
    expect(await deploys()).toHaveLength(1);

    // The Lua files are right now, so no task drifts; the deploy is still owed and is not forgotten.
    const status = await sandbox.asc(['status', 'wezterm'], { cwd });
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(
      /~ wezterm\.deploy: handler wezterm\.deploy is pending since .* \(notified by wezterm\.ssh-domain/,
    );
    const next = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(next.exitCode).toBe(0);
    expect(statuses(next.stdout)).toMatchObject({
      'wezterm.ssh-domain': 'ok',
      'wezterm.keys': 'ok',
      'wezterm.deploy': 'changed',
    });
    expect(await deploys()).toHaveLength(2);
    expect((await sandbox.asc(['status', 'wezterm'], { cwd })).exitCode).toBe(0);
    const again = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(statuses(again.stdout)['wezterm.deploy']).toBe('skipped');
    expect(await deploys()).toHaveLength(2);
  });

  it.each([
    {
      what: 'an unknown modifier',
      options: 'keys:\n  - { key: t, mods: CMD|HYPER, action: SpawnTab }',
      message:
        /plugins\.wezterm\.keys\[0\]\.mods: unknown modifier "HYPER": WezTerm knows SHIFT, CTRL, ALT, OPT, META, SUPER, CMD, WIN, LEADER, NONE, joined with \| \(upper-case\)/,
    },
    {
      what: 'an unknown action',
      options: 'keys:\n  - { key: t, mods: CMD, action: SpawnWindow }',
      message:
        /plugins\.wezterm\.keys\[0\]\.action: expected one of "ShowLauncherArgs", "SpawnTab", false, got "SpawnWindow"/,
    },
    {
      what: 'keys of the wrong type',
      options: 'keys: CMD+S',
      message: /plugins\.wezterm\.keys: expected array, got string "CMD\+S"/,
    },
  ])('$what is a config error: exit 2, nothing changed', async ({ options, message }) => {
    await copy('config-builder.lua', '.config/wezterm/wezterm.lua');
    await config(`configFile: ~/.config/wezterm/wezterm.lua\n${options}`);
    const before = await snapshot();
    const run = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    {
      what: 'does not exist',
      configFile: '~/.config/wezterm/wezterm.lua',
      message: 'failed: plugins.wezterm.configFile names ~/.config/wezterm/wezterm.lua, which does not exist',
    },
    {
      what: 'is a folder',
      configFile: '~/.config/wezterm',
      message: 'failed: plugins.wezterm.configFile is a folder, not a Lua file: ~/.config/wezterm',
    },
  ])(
    'a configFile that $what fails its task with exit 1, naming the option and the path',
    async ({ configFile, message }) => {
      await sandbox.write('.config/wezterm/.keep', '');
      await config(`configFile: ${configFile}`);
      const run = await sandbox.asc(['run', 'wezterm'], { cwd });
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(message);
    },
  );
});
