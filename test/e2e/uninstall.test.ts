// asc uninstall on a simulated Mac where every built plugin ran: the Mac's files come back byte for
// byte, lima.yaml loses what asc added, the VM still answers, and a second uninstall changes nothing.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, startSshAgent } from '../sim/host-services.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const dockerCli = programOnPath('docker');
const skip =
  skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server') ||
  skipUnless(dockerCli !== undefined, 'the docker CLI', 'apt-get install docker.io');

const SSH_CONFIG = '# my own ssh config\nServerAliveInterval 30\n\nHost github.com\n  User git\n';
const LUA = path.join(ROOT, 'test/fixtures/wezterm/config-builder.lua');

describe.skipIf(skip).sequential('asc uninstall', { timeout: 300_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    await mac.setupGuestShell('default', { packages: { 'docker-cli': ['docker', dockerCli ?? ''] } });
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
  /** The Mac's files asc may touch: ~/.ssh and ~/Library/LaunchAgents, as a path → mode and bytes map. */
  const macFiles = async () => {
    const files = await sandbox.snapshot();
    return new Map([...files].filter(([key]) => /^home\/(\.ssh|Library\/LaunchAgents)(\/|$)/.test(key)));
  };

  it('with every built plugin: the Mac as before asc, lima.yaml without asc’s forwards and env, the VM still up; again: nothing', async () => {
    // The Mac before asc: the user's own ssh config, an empty LaunchAgents folder, Colima and 1Password running.
    await sandbox.write('.ssh/config', SSH_CONFIG, 0o600);
    await sandbox.write('Library/LaunchAgents/.keep', '');
    await mac.startColima();
    await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'dev@mac');
    const lua = await readFile(LUA, 'utf8');
    await sandbox.write('sysinit/wezterm/wezterm.lua', lua);
    await sandbox.write(
      'sysinit/.ascrc.yaml',
      [
        'plugins:',
        '  lima: {}',
        '  wezterm:',
        '    configFile: ./wezterm/wezterm.lua',
        '    keys: false',
        '  docker: {}',
        '  onepassword: {}',
        '  launchd: {}',
        '',
      ].join('\n'),
    );
    const before = await macFiles();

    const run = await asc(['run', 'all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(await sandbox.read('.ssh/config')).not.toBe(SSH_CONFIG);
    expect(
      existsSync(path.join(sandbox.home, 'Library/LaunchAgents/io.lima-vm.autostart.default.plist')),
    ).toBe(true);
    const limaYaml = path.join(mac.instanceDir('default'), 'lima.yaml');
    const installed = parse(await readFile(limaYaml, 'utf8'));
    expect(installed.portForwards).toHaveLength(2);
    expect(Object.keys(installed.env)).toEqual(['DOCKER_HOST', 'SSH_AUTH_SOCK']);

    // Without a terminal and without --yes: nothing changes, and it says how to go on.
    const unsure = await asc(['uninstall']);
    expect(unsure.exitCode).toBe(2);
    expect(unsure.stderr).toContain(
      'asc: nothing was changed: there is no terminal to ask at: run `asc uninstall --yes`',
    );
    const plan = await asc(['uninstall', '--plan']);
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toMatch(/~ lima\.ssh-include: ~\/\.ssh\/config put back as it was before asc/);
    expect(plan.stdout).toMatch(
      /~ lima\.config: would remove port forward \{\{\.Home\}\}\/\.asc-docker\.sock/,
    );
    expect(plan.stdout).toMatch(/~ launchd\.lima-autostart: asc registered Lima's autostart/);
    expect(plan.stdout).toMatch(
      /~ wezterm\.config: ~\/sysinit\/wezterm\/wezterm\.lua:\d+: the return no longer calls ascalon\.lua; ~\/\.config\/wezterm\/ascalon\.lua is removed/,
    );
    expect((await macFiles()).get('home/.ssh/config')).not.toEqual(before.get('home/.ssh/config'));

    await mac.clearCallLog();
    const undo = await asc(['uninstall', '--yes']);
    expect(undo.stderr).toBe('');
    expect(undo.exitCode).toBe(0);
    expect(undo.stdout).toMatch(/^uninstall: \d+ ok, \d+ changed, 0 failed/m);
    // What stays, from each enabled plugin (lima's VM, wezterm's Lua, launchd's agent logs), then the core's own lines.
    expect(undo.stdout.slice(undo.stdout.indexOf('kept, on purpose:')).trimEnd().split('\n')).toEqual([
      'kept, on purpose:',
      '  the VM default, its disk and the guest home: `limactl stop default && limactl delete default` removes them',
      '  your WezTerm Lua ./wezterm/wezterm.lua and the files it loads, but ascalon.lua: your files, asc never deletes them',
      "  the logs of asc's scheduled agents, ~/Library/Logs/asc: `rm -rf ~/Library/Logs/asc`",
      '  your asc config ~/sysinit/.ascrc.yaml: asc never deletes it',
      "  asc's state folder ~/.local/state/asc (backups of every file asc changed, and what plugins keep there): `rm -rf ~/.local/state/asc`",
      '  asc itself: `npm uninstall -g ascalon`',
    ]);
    expect(await macFiles()).toEqual(before);
    const after = parse(await readFile(limaYaml, 'utf8'));
    expect(after.portForwards ?? []).toEqual([]);
    expect(after.env ?? {}).toEqual({});
    expect(after).toMatchObject({ cpus: installed.cpus, memory: installed.memory, disk: installed.disk });
    // One restart for the lima.yaml change, and the VM answers. launchd's autostart off and lima's restart
    // are independent steps, run at once: the autostart call may come before, between or after them.
    const verbs = (await mac.mutatingCalls()).map((argv) => argv.find((a) => !a.startsWith('-')));
    expect(verbs.filter((verb) => verb !== 'autostart')).toEqual(['stop', 'start']);
    expect(verbs.filter((verb) => verb === 'autostart')).toHaveLength(1);
    expect(await mac.vmRunning('default')).toBe(true);
    expect((await sandbox.exec('limactl', ['shell', '--tty=false', 'default', '--', 'true'])).exitCode).toBe(
      0,
    );
    // The user's WezTerm config is as it was, byte for byte, and asc's module is gone.
    expect(await sandbox.read('sysinit/wezterm/wezterm.lua')).toBe(lua);
    expect(existsSync(path.join(sandbox.home, '.config/wezterm/ascalon.lua'))).toBe(false);

    await mac.clearCallLog();
    const again = await asc(['uninstall', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('nothing to undo: asc has no edit left on this Mac');
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await macFiles()).toEqual(before);
  });

  /** A hand-made LaunchAgent io.lima.default (plain `limactl start`), loaded, as such setups are. */
  const seedLegacy = async () => {
    const legacy = path.join(sandbox.home, 'Library/LaunchAgents/io.lima.default.plist');
    const text = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
      '<plist version="1.0">',
      '<dict>',
      '    <key>Label</key>',
      '    <string>io.lima.default</string>',
      '    <key>ProgramArguments</key>',
      `    <array><string>${path.join(mac.brewPrefix, 'bin', 'limactl')}</string><string>start</string><string>default</string></array>`,
      '    <key>RunAtLoad</key>',
      '    <true/>',
      '</dict>',
      '</plist>',
      '',
    ].join('\n');
    await sandbox.write(legacy, text, 0o644);
    await sandbox.write('.ssh/known_hosts', '', 0o644); // a Mac that has used ssh: ~/.ssh exists
    expect((await mac.launchctl(['load', legacy])).exitCode).toBe(0);
    await mac.launchd.setJob('io.lima.default', { state: 'not running', lastExitCode: 0 });
    return legacy;
  };

  it('puts back the legacy LaunchAgent that asc replaced with Lima’s own autostart (not loaded)', async () => {
    const legacy = await seedLegacy();
    await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima: {}\n  launchd: {}\n');
    const before = await macFiles();

    expect((await asc(['run', 'all', '--yes'])).exitCode).toBe(0);
    expect(existsSync(legacy)).toBe(false);
    const plan = await asc(['uninstall', '--plan']);
    expect(plan.stdout).toContain(
      '~ launchd.replaced: would put back ~/Library/LaunchAgents/io.lima.default.plist as it was before asc (not loaded: launchd reads it at the next login)',
    );
    const undo = await asc(['uninstall', '--yes']);
    expect(undo.exitCode).toBe(0);
    expect(await macFiles()).toEqual(before);
    // Only the enabled plugins speak in the recap: no WezTerm or NixOS line without those plugins.
    const kept = undo.stdout.slice(undo.stdout.indexOf('kept, on purpose:'));
    expect(kept).toContain('  the VM default, its disk and the guest home:');
    expect(kept).not.toMatch(/WezTerm|flake|NixOS/);
    expect((await asc(['uninstall', '--plan'])).exitCode).toBe(0);
  });

  it('lists and counts the step that waits for another: plist mode, its LaunchAgent over a hand-made one', async () => {
    await seedLegacy();
    await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima: {}\n  launchd:\n    mode: plist\n');
    const before = await macFiles();
    expect((await asc(['run', 'all', '--yes'])).exitCode).toBe(0);

    // asc's plist goes, then (after it, at the same path) the hand-made one comes back: both are listed.
    const plan = await asc(['uninstall', '--plan']);
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toMatch(
      /^~ launchd\.agent: ~\/Library\/LaunchAgents\/io\.lima\.default\.plist was written by asc/m,
    );
    expect(plan.stdout).toContain(
      '~ launchd.replaced: after launchd.agent: would put back ~/Library/LaunchAgents/io.lima.default.plist as it was before asc',
    );
    // The count is every step the run takes (those two and ~/.ssh/config's), as the question's is.
    expect(plan.stdout).toMatch(/^uninstall --plan: \d+ ok, 3 would change, 0 failed, 0 skipped/m);

    const undo = await asc(['uninstall', '--yes']);
    expect(undo.exitCode).toBe(0);
    expect(undo.stdout).toMatch(/^uninstall: \d+ ok, 3 changed, 0 failed, 0 skipped/m);
    expect(await macFiles()).toEqual(before);
  });
});
