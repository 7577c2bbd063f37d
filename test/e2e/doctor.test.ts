// asc doctor on the simulated Mac: one row per check, each non-ok row with its fix; exit 1 only on a fail.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, startSshAgent } from '../sim/host-services.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');
const dockerCli = programOnPath('docker');
const noDocker = skipUnless(dockerCli !== undefined, 'the docker CLI', 'apt-get install docker.io');

interface Row {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix: string | null;
}

describe.skipIf(skip).sequential('asc doctor', () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;
  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima: {}\n');
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const doctor = async () => {
    const result = await sandbox.asc(['doctor', '--json'], { cwd });
    const rows = new Map((JSON.parse(result.stdout) as { rows: Row[] }).rows.map((row) => [row.id, row]));
    return { exitCode: result.exitCode, rows, stderr: result.stderr };
  };

  it('without limactl: exit 1, the limactl row says how to install it, and every other row is still there', async () => {
    await rm(path.join(sandbox.bin, 'limactl'));
    const { exitCode, rows } = await doctor();
    expect(exitCode).toBe(1);
    expect(rows.get('lima.limactl')).toMatchObject({
      status: 'fail',
      message: 'limactl not found: install it with `brew install lima`',
      fix: 'brew install lima',
    });
    expect([...rows.keys()]).toEqual([
      'core.node',
      'core.macos',
      'core.homebrew',
      'core.config',
      'core.lock',
      'core.state',
      'lima.limactl',
      'lima.instance',
      'lima.ssh-include',
      'lima.ssh-port',
      'lima.clock',
    ]);
    expect(rows.get('core.macos')).toMatchObject({ status: 'ok', message: 'macOS 15.5 on arm64' });
    expect(rows.get('core.config')?.status).toBe('ok');
    expect(rows.get('lima.ssh-include')).toMatchObject({ status: 'fail' });
    expect(rows.get('lima.ssh-include')?.fix).toContain(
      `Include ${path.join(mac.limaHome, 'default', 'ssh.config')}`,
    );
  });

  it('on a converged Mac every row is ok (exit 0), with one limactl list and one guest round trip', async () => {
    const run = await sandbox.asc(['run', 'phase1', '--yes'], { cwd });
    expect(run.exitCode).toBe(0);
    await mac.clearCallLog();
    const { exitCode, rows } = await doctor();
    expect([...rows.values()].filter((row) => row.status !== 'ok' && !row.id.startsWith('core.'))).toEqual(
      [],
    );
    expect(exitCode).toBe(0);
    expect(rows.get('lima.instance')?.message).toMatch(/^default is Running/);
    expect(rows.get('lima.ssh-port')?.message).toMatch(
      /^ssh lima-default resolves to 127\.0\.0\.1:\d+, Lima's port$/,
    );
    expect(rows.get('lima.clock')?.status).toBe('ok');
    const verbs = (await mac.callLog()).map((argv) => argv.find((a) => !a.startsWith('-')));
    expect(verbs.filter((v) => v === 'list')).toHaveLength(1);
    expect(verbs.filter((v) => v === 'shell')).toHaveLength(1);
    expect(await mac.mutatingCalls()).toEqual([]);
  });

  it('a guest clock that fell behind and an Include only OpenSSH reads are warnings with their fixes', async () => {
    const run = await sandbox.asc(['run', 'phase1', '--yes'], { cwd });
    expect(run.stdout + run.stderr).toMatch(/run: .* 0 failed/);
    expect(run.exitCode).toBe(0);
    // WezTerm cannot read `~` or globs in an Include: replace asc's line with Lima's documented one.
    await sandbox.write('.ssh/config', 'Include ~/.lima/*/ssh.config\n\nHost *\n  ServerAliveInterval 30\n');
    const guestHome = await mac.guestHome('default');
    await sandbox.write(
      path.join(guestHome, 'bin', 'date'),
      '#!/bin/sh\necho $(( $(/bin/date +%s) - 600 ))\n',
      0o755,
    );
    await sandbox.write(path.join(guestHome, '.profile'), `PATH="${guestHome}/bin:$PATH"\n`);
    const { exitCode, rows } = await doctor();
    expect(rows.get('lima.instance')?.status).toBe('ok');
    expect(exitCode, JSON.stringify([...rows.values()])).toBe(0);
    expect(rows.get('lima.clock'), JSON.stringify(rows.get('lima.clock'))).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(
        /^the guest clock is \d+s behind the Mac's \(a VM misses time while the Mac sleeps\)$/,
      ),
      fix: expect.stringContaining('systemd-timesyncd'),
    });
    expect(rows.get('lima.ssh-include')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining(
        'line 1 (`Include ~/.lima/*/ssh.config`) includes it in a form OpenSSH reads but WezTerm does not',
      ),
    });
  });

  it('a broken config is a failed row, and the plugin rows still come, from the built-in defaults', async () => {
    await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima:\n    cpus: lots\n');
    const { exitCode, rows } = await doctor();
    expect(exitCode).toBe(1);
    expect(rows.get('core.config')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /\.ascrc\.yaml:3:11: plugins\.lima\.cpus: expected number, got string "lots"/,
      ),
    });
    expect(rows.has('lima.limactl')).toBe(true);
    const text = await sandbox.asc(['doctor'], { cwd });
    expect(text.stdout).toMatch(/^✖ core\.config +.*\n +fix: see docs\/reference\/config\.md/m);
    expect(text.stdout).toMatch(/^doctor: \d+ ok, \d+ warn, \d+ fail$/m);
  });

  it.skipIf(noDocker)(
    'with every plugin on, each contributes its rows; Colima crashed with its socket left behind fails the docker rows',
    { timeout: 300_000 },
    async () => {
      await mac.setupGuestShell('default', { packages: { 'docker-cli': ['docker', dockerCli ?? ''] } });
      await mac.startColima();
      await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'dev@mac');
      await sandbox.write(
        'sysinit/wezterm.lua',
        'local config = {}\nconfig.ssh_domains = {}\nconfig.keys = {}\nreturn config\n',
      );
      await sandbox.write(
        'sysinit/.ascrc.yaml',
        'plugins:\n  lima: {}\n  wezterm:\n    configFile: ./wezterm.lua\n  docker: {}\n  onepassword: {}\n  launchd: {}\n',
      );
      const run = await sandbox.asc(['run', 'all', '--yes'], { cwd, timeoutMs: 240_000 });
      expect(run.exitCode).toBe(0);
      const healthy = await doctor();
      const plugins = new Set([...healthy.rows.keys()].map((id) => id.split('.')[0]));
      expect([...plugins]).toEqual(['core', 'lima', 'wezterm', 'docker', 'onepassword', 'launchd']);
      expect([...healthy.rows.values()].filter((row) => row.status === 'fail')).toEqual([]);
      expect(healthy.exitCode).toBe(0);

      await mac.stopColima({ crash: true });
      const crashed = await doctor();
      expect(crashed.exitCode).toBe(1);
      expect(crashed.rows.get('docker.daemon')).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('colima'),
      });
      expect(crashed.rows.get('docker.forward')?.status).not.toBe('ok');
      expect(crashed.rows.get('onepassword.agent')?.status).toBe('ok');
    },
  );
});
