// The wezterm plugin against the simulated Mac: the PRD's own sysinit layout with its deploy command, the
// refusals (each leaves every file as it was), and doctor asking the fake `wezterm` CLI what it loaded.
// Without /usr/sbin/sshd these tests skip, except in CI where they fail.
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';
import { bindingsByKeys, evaluateWezTermConfig } from '../harness/wezterm-lua.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

const FIXTURES = path.join(ROOT, 'test/fixtures/wezterm');
/** The sysinit repo's WezTerm folder, which home-manager deploys to ~/.config/wezterm. */
const REPO = 'github/sysinit/modules/darwin/home/wezterm';
const PKG = `${REPO}/lua/sysinit/pkg`;
const MODULE = '.config/wezterm/ascalon.lua';
const LAUNCHER = { action: 'ShowLauncherArgs', arg: { flags: 'FUZZY|DOMAINS' } };
const tab = (domain: string) => ({ action: 'SpawnTab', arg: { DomainName: domain } });

interface Row {
  id: string;
  status: string;
}

// Each step spawns the CLI and the simulated Mac's tools: a safety net on a shared, loaded machine, not a threshold.
describe.skipIf(skip).sequential('the wezterm plugin on a simulated Mac', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'github/sysinit');
    // `task nix:refresh:work`, as the user's Taskfile runs it: home-manager copies the repo's WezTerm
    // folder to ~/.config/wezterm; it counts its runs in ~/deploys.log.
    await sandbox.addBin(
      'task',
      [
        '#!/bin/sh',
        'echo "task: [nix:refresh:work] home-manager switch"',
        'echo "$PWD $*" >> "$HOME/deploys.log"',
        '[ -z "$FAIL_DEPLOY" ] || { echo "error: attribute missing" >&2; exit 1; }',
        `mkdir -p "$HOME/.config/wezterm" && cp -R "$HOME/${REPO}/." "$HOME/.config/wezterm/"`,
        '',
      ].join('\n'),
    );
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (wezterm: string) =>
    sandbox.write(
      'github/sysinit/.ascrc.yaml',
      `plugins:\n  lima: {}\n  wezterm:\n${wezterm.replace(/^/gm, '    ')}\n`,
    );
  const copy = async (fixture: string, to: string) =>
    sandbox.write(to, await readFile(path.join(FIXTURES, fixture), 'utf8'));
  /**
   * The sandbox's files but Lima's folder (its call log), asc's own state (runs, backups) and ~/.ssh,
   * where lima.ssh-include, a need of the plugin's task, adds its Include.
   */
  const snapshot = async () => {
    const files = await sandbox.snapshot();
    for (const key of files.keys()) {
      if (/^home\/\.(lima|local|ssh)\//.test(key)) files.delete(key);
    }
    return files;
  };
  const statuses = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { tasks: Row[] }).tasks.map((row) => [row.id, row.status]));
  const deploys = async () => (await sandbox.read('deploys.log').catch(() => '')).split('\n').filter(Boolean);
  const sysinit = async () => {
    await copy('sets/sysinit-wezterm.lua', `${REPO}/wezterm.lua`);
    await copy('sysinit-core.lua', `${PKG}/core.lua`);
    await copy('keybindings-module.lua', `${PKG}/keybindings.lua`);
    await copy('sets/sysinit-utils.lua', `${PKG}/utils.lua`);
  };
  const sysinitOptions = (domain = 'ascalon') =>
    [`domain: ${domain}`, `configFile: ~/${REPO}/wezterm.lua`, 'deploy: task nix:refresh:work'].join('\n');
  /** The sysinit config as WezTerm would load the repo's files, with asc's module. */
  const evaluateSysinit = async () =>
    evaluateWezTermConfig(await sandbox.read(`${REPO}/wezterm.lua`), {
      'sysinit.pkg.core': await sandbox.read(`${PKG}/core.lua`),
      'sysinit.pkg.keybindings': await sandbox.read(`${PKG}/keybindings.lua`),
      'sysinit.pkg.utils': await sandbox.read(`${PKG}/utils.lua`),
      ascalon: await sandbox.read(MODULE),
    });
  const doctor = async () => {
    const result = await sandbox.asc(['doctor', '--json'], { cwd });
    const rows = (
      JSON.parse(result.stdout) as { rows: { id: string; status: string; message: string; fix?: string }[] }
    ).rows;
    return new Map(rows.filter((row) => row.id.startsWith('wezterm.')).map((row) => [row.id, row]));
  };

  it("the PRD's layout on a fresh Mac: one edit of wezterm.lua, the module, one deploy; the stale domain no longer wins", async () => {
    await sysinit();
    await config(sysinitOptions());
    const repoBefore = await snapshot();

    const run = await sandbox.asc(['run', 'phase1', '--yes'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(
      /✔ WezTerm loads ascalon\.lua: domain ascalon → lima-default, keys CMD\+S, CMD\+SHIFT\+T, CTRL\+SHIFT\+T \(wezterm\.config\): changed/,
    );
    expect(run.stdout).toMatch(
      /✔ Deploy the WezTerm config: task nix:refresh:work \(wezterm\.deploy\): changed/,
    );
    expect(run.stdout).toContain('  wezterm.deploy: task: [nix:refresh:work] home-manager switch');
    expect(await deploys()).toEqual([`${path.join(sandbox.home, REPO)} nix:refresh:work`]);
    expect(await mac.vmRunning('default')).toBe(true);

    // Of the repo's files only wezterm.lua changed, in its return; core.lua keeps its stale entry.
    const after = await snapshot();
    const changed = [...after.keys()].filter(
      (key) => key.startsWith('home/github/') && after.get(key) !== repoBefore.get(key),
    );
    expect(changed).toEqual([`home/${REPO}/wezterm.lua`]);
    expect(await sandbox.read(`${REPO}/wezterm.lua`)).toContain('\nreturn require("ascalon")(config)\n');
    expect(await sandbox.read(`${PKG}/core.lua`)).toContain('remote_address = "127.0.0.1:62068"');

    const evaluated = await evaluateSysinit();
    expect(evaluated.ssh_domains).toEqual([
      { name: 'arrakis', remote_address: 'arrakis', username: 'rbha18' },
      { name: 'lv426', remote_address: 'lv426', username: 'rbha18' },
      { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' },
    ]);
    expect(evaluated.disable_default_key_bindings).toBe(true);
    expect(Object.fromEntries(bindingsByKeys(evaluated.keys))).toEqual({
      'c SUPER': [{ action: 'CopyTo', arg: 'Clipboard' }],
      'v SUPER': [{ action: 'PasteFrom', arg: 'Clipboard' }],
      't SUPER': [{ action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
      'w SUPER': [{ action: 'CloseCurrentTab', arg: { confirm: true } }],
      's SUPER': [LAUNCHER],
      'T SUPER': [tab('ascalon')],
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

    const files = await snapshot();
    const again = await sandbox.asc(['run', 'phase1', '--json'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(statuses(again.stdout)).toMatchObject({ 'wezterm.config': 'ok', 'wezterm.deploy': 'skipped' });
    expect(await deploys()).toHaveLength(1);
    expect((await sandbox.asc(['plan', 'phase1'], { cwd })).exitCode).toBe(0);
    expect(await snapshot()).toEqual(files);
  });

  it('changing the domain: plan exits 3 with the module diff and writes nothing; run rewrites the module and deploys once', async () => {
    await sysinit();
    await config(sysinitOptions());
    expect((await sandbox.asc(['run', 'wezterm'], { cwd })).exitCode).toBe(0);
    const main = await sandbox.read(`${REPO}/wezterm.lua`);

    await config(sysinitOptions('nostromo'));
    const before = await snapshot();
    const plan = await sandbox.asc(['plan', 'wezterm'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain(
      '~ wezterm.config: ~/.config/wezterm/ascalon.lua is out of date: rewritten',
    );
    expect(plan.stdout).toMatch(
      /^\s+\+ {6}\{ name = "nostromo", multiplexing = "None", remote_address = "lima-default" \},$/m,
    );
    expect(plan.stdout).toMatch(
      /~ .*\(wezterm\.deploy\): would change: would run: notified by wezterm\.config/,
    );
    expect(await snapshot()).toEqual(before);

    const run = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(statuses(run.stdout)).toEqual({
      'lima.installed': 'ok',
      'lima.ssh-include': 'ok',
      'wezterm.config': 'changed',
      'wezterm.deploy': 'changed',
    });
    expect(await deploys()).toHaveLength(2);
    expect(await sandbox.read(`${REPO}/wezterm.lua`)).toBe(main);
    const evaluated = await evaluateSysinit();
    expect(evaluated.ssh_domains?.map((domain) => domain.name)).toEqual([
      'ascalon',
      'arrakis',
      'lv426',
      'nostromo',
    ]);
    expect(Object.fromEntries(bindingsByKeys(evaluated.keys))).toMatchObject({
      'T SUPER': [tab('nostromo')],
      'T CTRL': [tab('nostromo')],
    });
  });

  it('a failing deploy fails the run with its output shown and stays pending: the next run deploys once', async () => {
    await sysinit();
    await config(sysinitOptions());
    const run = await sandbox.asc(['run', 'wezterm'], { cwd, env: { FAIL_DEPLOY: '1' } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('  wezterm.deploy: error: attribute missing');
    expect(run.stdout).toMatch(
      /✖ .*\(wezterm\.deploy\): failed: the deploy command exited 1: task nix:refresh:work/,
    );
    const status = await sandbox.asc(['status', 'wezterm'], { cwd });
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(
      /~ wezterm\.deploy: handler wezterm\.deploy is pending since .* \(notified by wezterm\.config/,
    );
    const next = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(next.exitCode).toBe(0);
    expect(statuses(next.stdout)).toMatchObject({ 'wezterm.config': 'ok', 'wezterm.deploy': 'changed' });
    expect(await deploys()).toHaveLength(2);
  });

  it.each([
    {
      what: 'a configFile that names a module (core.lua, M.setup)',
      files: { [`${PKG}/core.lua`]: 'sysinit-core.lua' },
      options: `configFile: ~/${PKG}/core.lua`,
      message:
        /failed: ~\/github\/sysinit\/.*\/core\.lua returns the module M \(it defines functions on it\), not WezTerm's config; asc changed nothing/,
      hint: /hint: set plugins\.wezterm\.configFile to the file WezTerm loads/,
    },
    {
      what: 'a return inside a branch',
      text: 'local config = {}\nif os.getenv("WORK") then\n  return { font_size = 10 }\nend\nreturn config\n',
      message: /failed: ~\/\.config\/wezterm\/wezterm\.lua returns from inside a branch \(line 3\)/,
      hint: /line 3: {3}return require\("ascalon"\)\(\{ font_size = 10 \}\)\n\s+line 5: return require\("ascalon"\)\(config\)/,
    },
    {
      what: 'no final return',
      text: 'local wezterm = require("wezterm")\nwezterm.on("gui-startup", function() end)\n',
      message:
        /failed: ~\/\.config\/wezterm\/wezterm\.lua does not end with a top-level `return` of the config/,
      hint: /return require\("ascalon"\)\(config\)/,
    },
    {
      what: 'a Lua file that does not parse',
      text: 'local config = {\n  font_size = 12,,\n}\nreturn config\n',
      message: /failed: ~\/\.config\/wezterm\/wezterm\.lua:2:\d+: not valid Lua \(.*\); asc left it as it is/,
      hint: /hint: fix line 2 of ~\/\.config\/wezterm\/wezterm\.lua/,
    },
    {
      what: 'an ascalon.lua asc did not write',
      text: 'return {}\n',
      module: 'return function(config) return config end\n',
      message: /failed: ~\/\.config\/wezterm\/ascalon\.lua exists and asc did not write it/,
      hint: /hint: asc owns the module name ascalon: rename your ascalon\.lua/,
    },
  ])(
    '$what: exit 1, the exact lines to write, every file unchanged',
    async ({ files, text, module, options, message, hint }) => {
      for (const [to, fixture] of Object.entries(files ?? {})) await copy(fixture, to);
      if (text) await sandbox.write('.config/wezterm/wezterm.lua', text);
      if (module) await sandbox.write(MODULE, module);
      await config(options ?? '{}');
      const before = await snapshot();
      const run = await sandbox.asc(['run', 'wezterm'], { cwd });
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(message);
      expect(run.stdout).toMatch(hint);
      const after = await snapshot();
      for (const key of after.keys()) if (key.startsWith('home/.ssh/')) after.delete(key);
      for (const key of before.keys()) if (key.startsWith('home/.ssh/')) before.delete(key);
      expect(after).toEqual(before);
    },
  );

  it('a main file Home Manager links into the Nix store: refused with the line to write in the source; written there, asc adds only its module', async () => {
    const store = path.join(sandbox.root, 'nix/store');
    const storeFile = path.join(store, 'q1w2e3-home-manager-files/wezterm.lua');
    await sandbox.write(storeFile, 'local config = {}\nconfig.font_size = 13\nreturn config\n', 0o444);
    await sandbox.write('.config/wezterm/.keep', '');
    await symlink(storeFile, path.join(sandbox.home, '.config/wezterm/wezterm.lua'));
    await config('{}');
    const before = await snapshot();
    const env = { NIX_STORE_DIR: store };
    const run = await sandbox.asc(['run', 'wezterm'], { cwd, env });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /failed: ~\/\.config\/wezterm\/wezterm\.lua is a link into the Nix store \(.*\/nix\/store\/q1w2e3-home-manager-files\/wezterm\.lua\): asc may not write it, and changed nothing/,
    );
    expect(run.stdout).toMatch(
      /hint: make this one edit in its source \(in your repo\), deploy it, and run asc again[^\n]*\n\s+line 3: return require\("ascalon"\)\(config\)/,
    );
    expect(await snapshot()).toEqual(before);

    // The user makes the edit in the repo; home-manager's next switch puts it in the store.
    await sandbox.write(
      storeFile,
      'local config = {}\nconfig.font_size = 13\nreturn require("ascalon")(config)\n',
      0o444,
    );
    const fixed = await sandbox.asc(['run', 'wezterm', '--json'], { cwd, env });
    expect(fixed.exitCode).toBe(0);
    expect(statuses(fixed.stdout)['wezterm.config']).toBe('changed');
    expect(await sandbox.read(MODULE)).toMatch(/^-- ascalon\.lua: written by asc/);
  });

  it('keysFile is retired: a config error that says what to write instead, nothing changed', async () => {
    await sysinit();
    await config(`configFile: ~/${PKG}/core.lua\nkeysFile: ~/${PKG}/keybindings.lua`);
    const before = await snapshot();
    const run = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(
      /plugins\.wezterm\.keysFile: keysFile is retired: asc no longer edits the Lua that sets your keys; ascalon\.lua binds them on the final config\. Remove keysFile, and set configFile to the file WezTerm loads \(wezterm\.lua\)/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('doctor asks the wezterm CLI what WezTerm loaded: the deployed config before and after the deploy; without the CLI, a warn row', async () => {
    await sysinit();
    // What home-manager deployed last time: the stale domain, no ascalon.lua.
    expect((await sandbox.exec('task', ['nix:refresh:work'], { cwd })).exitCode).toBe(0);
    await config(sysinitOptions());

    const without = await doctor();
    expect(without.get('wezterm.loaded')).toMatchObject({
      status: 'warn',
      message: 'the wezterm CLI is not on PATH: asc cannot ask WezTerm what it loaded',
    });

    await mac.installWezterm();
    const stale = await doctor();
    expect(stale.get('wezterm.config')?.status).toBe('fail');
    expect(stale.get('wezterm.loaded')).toMatchObject({
      status: 'fail',
      message:
        'WezTerm loaded: domain ascalon is 127.0.0.1:62068 with multiplexing None, not lima-default with None; CMD+S is not bound; CMD+SHIFT+T is act.SpawnWindow; CTRL+SHIFT+T is not bound',
    });

    expect((await sandbox.asc(['run', 'wezterm'], { cwd })).exitCode).toBe(0);
    const healthy = await doctor();
    expect(healthy.get('wezterm.config')?.status).toBe('ok');
    expect(healthy.get('wezterm.loaded')).toMatchObject({
      status: 'ok',
      message: 'WezTerm has domain ascalon → lima-default and every binding asc wants',
    });
  });
});
