// The simulated Mac against a real sshd: start/stop/shell/ssh/lima and reverse socket forwarding behave as
// real Lima does. Without /usr/sbin/sshd these tests are skipped, except in CI where they fail.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type RunResult, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from './index.ts';
import { listProcesses } from './lib/procs.mjs';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');
const title = 'simulated Mac with a real sshd';

const portOf = async (file: string) => Number(/^\s*Port (\d+)$/m.exec(await readFile(file, 'utf8'))?.[1]);

/** Poll (bounded) until `check` holds. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function simProcesses(sandbox: Sandbox) {
  const marker = `${sandbox.root}/`;
  return listProcesses().filter(
    (p) => !p.zombie && p.pid !== process.pid && (p.cmdline.includes(marker) || p.environ.includes(marker)),
  );
}

describe.skipIf(skip).sequential(title, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let hostSocketServer: net.Server;
  let dir: string;
  let sshConfig: string;
  const received: string[] = [];

  beforeAll(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    dir = mac.instanceDir('default');
    sshConfig = path.join(dir, 'ssh.config');
    // A host service behind a unix socket, like 1Password's agent, for the reverse forward.
    hostSocketServer = net.createServer((socket) => {
      socket.once('data', (data) => {
        received.push(data.toString());
        socket.end(`pong:${data.toString()}`);
      });
    });
    await new Promise<void>((resolve) =>
      hostSocketServer.listen(path.join(sandbox.home, 'agent.sock'), resolve),
    );
  });

  afterAll(async () => {
    await mac?.stopAll();
    await new Promise((resolve) => hostSocketServer?.close(resolve));
    await sandbox?.cleanup();
  });

  const limactl = (...args: string[]) => mac.limactl(args);

  test('create, then list shows it Stopped with sizes in bytes', async () => {
    const file = await sandbox.write(
      'vm.yaml',
      [
        'cpus: 2',
        'memory: 8GiB',
        'portForwards:',
        '- guestSocket: "{{.Home}}/.agent.sock"',
        '  hostSocket: "{{.Home}}/agent.sock"',
        '  reverse: true',
        '- guestSocket: "{{.Home}}/guest-service.sock"',
        '  hostSocket: guest-service.sock',
        '',
      ].join('\n'),
    );
    expect((await limactl('create', '--tty=false', '--name', 'default', file)).exitCode).toBe(0);
    const list = await limactl('list', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject({ status: 'Stopped', memory: 8 * 1024 ** 3, cpus: 2 });
  });

  test('start runs a real sshd, writes ssh.config and pid files, and reports READY', async () => {
    const start = await limactl('start', '--tty=false', 'default');
    expect(start.exitCode).toBe(0);
    expect(start.stderr).toMatch(/level=info msg="SSH Local Port: \d+"/);
    expect(start.stderr).toContain('level=info msg="READY. Run `lima` to open the shell."');
    expect(await mac.vmRunning('default')).toBe(true);
    const config = await readFile(sshConfig, 'utf8');
    expect(config).toMatch(/^# This SSH config file can be passed to 'ssh -F'\.\n/);
    expect(config).toContain('Host lima-default\n');
    expect(config).toContain(`  IdentityFile "${path.join(mac.limaHome, '_config', 'user')}"\n`);
    expect(config).toContain(`  ControlPath "${path.join(dir, 'ssh.sock')}"\n`);
    expect(config).toMatch(/ {2}Hostname 127\.0\.0\.1\n {2}Port \d+\n$/);
    const [inst] = (await limactl('list', '--json')).stdout.split('\n').map((l) => JSON.parse(l || '{}'));
    expect(inst).toMatchObject({ status: 'Running', sshLocalPort: await portOf(sshConfig) });
  });

  test('ssh -F ssh.config lima-default reaches the guest, as the guest user: in the guest home', async () => {
    const ssh = await sandbox.exec('ssh', ['-F', sshConfig, 'lima-default', 'echo "$HOME"; pwd']);
    const home = await mac.guestHome('default');
    expect(ssh).toEqual({ exitCode: 0, stdout: `${home}\n${home}\n`, stderr: '' });
  });

  test('limactl shell runs a login shell in the guest home and passes the exit status through', async () => {
    const home = await limactl('shell', '--workdir', '/', 'default', '--', 'sh', '-c', 'echo $HOME; pwd');
    expect(home).toMatchObject({ exitCode: 0, stdout: `${await mac.guestHome('default')}\n/\n` });
    const noWorkdir = await limactl('shell', '--tty=false', 'default', 'pwd');
    // No --workdir and the host cwd not mounted: the guest home (where sshd would put the session).
    expect(noWorkdir.stdout).toBe(`${await mac.guestHome('default')}\n`);
    expect((await limactl('shell', 'default', 'sh', '-c', 'exit 7')).exitCode).toBe(7);
  });

  test('lima (the v2.1+ wrapper) runs commands through `limactl shell --instance`', async () => {
    expect(await sandbox.exec('lima', ['uname'])).toMatchObject({ exitCode: 0, stdout: 'Linux\n' });
    expect((await sandbox.exec('lima', ['--workdir', '/', 'pwd'])).stdout).toBe('/\n');
    expect((await mac.callLog()).at(-1)).toEqual(['shell', '--instance', 'default', '--workdir', '/', 'pwd']);
  });

  test('flags after the instance name are the command (SetInterspersed(false))', async () => {
    expect((await limactl('shell', '--workdir', '/', 'default', 'pwd')).stdout).toBe('/\n');
    // After the name, `--workdir / pwd` is the command: bash gets `-c '--workdir / pwd'` and rejects it.
    const result = await limactl('shell', 'default', '--workdir', '/', 'pwd');
    expect(result).toMatchObject({ exitCode: 2, stdout: '' });
    expect(result.stderr).toContain('invalid option');
  });

  test('a reverse socket forward reaches the host socket from the guest', async () => {
    const guestSocket = path.join(await mac.guestHome('default'), '.agent.sock');
    const script = `const s = require('net').connect(${JSON.stringify(guestSocket)}, () => s.write('ping'));
s.on('data', (d) => { process.stdout.write(String(d)); s.end(); });`;
    const result = await limactl('shell', '--workdir', '/', 'default', '--', process.execPath, '-e', script);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'pong:ping' });
    expect(received).toEqual(['ping']);
  });

  test('a guest socket is forwarded to a host socket under <dir>/sock/', async () => {
    const guestSocket = path.join(await mac.guestHome('default'), 'guest-service.sock');
    // The marker is written once the socket listens: the socket file alone exists a moment before that.
    const listening = `${guestSocket}.listening`;
    const script = `const server = require('net').createServer((c) => { c.end('hello from the guest'); server.close(); });
server.listen(${JSON.stringify(guestSocket)}, () => require('fs').writeFileSync(${JSON.stringify(listening)}, ''));`;
    const guestServer = limactl('shell', '--workdir', '/', 'default', '--', process.execPath, '-e', script);
    await eventually(() => existsSync(listening), 'the guest service');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(path.join(dir, 'sock', 'guest-service.sock'));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toBe('hello from the guest');
    expect((await guestServer).exitCode).toBe(0);
  });

  test('start on a running instance exits 0 with "already running"', async () => {
    const again = await limactl('start', '--tty=false', 'default');
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(
      'msg="The instance `default` is already running. Run `lima` to open the shell."',
    );
  });

  test('edit refuses a running instance', async () => {
    const edit = await limactl('edit', '--tty=false', 'default');
    expect(edit.exitCode).toBe(1);
    expect(edit.stderr).toContain('level=fatal msg="cannot edit a running instance"');
  });

  let firstPort = 0;
  test('stop kills the VM, its sessions and forwards, keeps the stale ssh.config; a second stop fails', async () => {
    firstPort = await portOf(sshConfig);
    const session: Promise<RunResult> = limactl('shell', 'default', 'sleep', '300');
    await eventually(() => listProcesses().some((p) => p.cmdline === 'sleep 300 '), 'the guest session');
    const stop = await limactl('stop', 'default');
    expect(stop.exitCode).toBe(0);
    expect((await session).exitCode).toBe(255);
    expect(await mac.vmRunning('default')).toBe(false);
    expect(await portOf(sshConfig)).toBe(firstPort);
    expect(simProcesses(sandbox)).toEqual([]);
    // Lima removes a reverse-forwarded guest socket when it cancels the forward.
    expect(existsSync(path.join(await mac.guestHome('default'), '.agent.sock'))).toBe(false);
    const [inst] = (await limactl('list', '--json')).stdout.split('\n').map((l) => JSON.parse(l || '{}'));
    expect(inst).toMatchObject({ status: 'Stopped', sshLocalPort: firstPort });
    const again = await limactl('stop', 'default');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('expected status `Running`, got `Stopped` (maybe use `limactl stop -f`?)');
  });

  test('start again picks a new port and rewrites ssh.config', async () => {
    expect((await limactl('start', '--tty=false', 'default')).exitCode).toBe(0);
    const port = await portOf(sshConfig);
    expect(port).not.toBe(firstPort);
    expect((await sandbox.exec('ssh', ['-F', sshConfig, 'lima-default', 'true'])).exitCode).toBe(0);
  });

  test('a missing instance: list exits 1 with an empty stdout', async () => {
    expect(await limactl('list', '--json', 'nope')).toMatchObject({ exitCode: 1, stdout: '' });
  });

  test('FAKE_LIMACTL_START_DEGRADED: exit 1, the VM stays up', async () => {
    await mac.seedInstance('degraded', 'cpus: 1\n');
    const start = await mac.limactl(['start', '--tty=false', 'degraded'], {
      env: { FAKE_LIMACTL_START_DEGRADED: '1' },
    });
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('DEGRADED. The VM seems running');
    expect(await mac.vmRunning('degraded')).toBe(true);
    const ssh = await sandbox.exec('ssh', [
      '-F',
      path.join(mac.instanceDir('degraded'), 'ssh.config'),
      'lima-degraded',
      'true',
    ]);
    expect(ssh.exitCode).toBe(0);
  });

  test('FAKE_LIMACTL_START_HANG: times out after --timeout, leaving the host agent running', async () => {
    await mac.seedInstance('hang', 'cpus: 1\n');
    const start = await mac.limactl(['start', '--tty=false', '--timeout', '500ms', 'hang'], {
      env: { FAKE_LIMACTL_START_HANG: '1' },
    });
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('did not receive an event with the `running` status');
    expect(await mac.vmRunning('hang')).toBe(true);
    expect((await mac.limactl(['start', '--tty=false', 'hang'])).stderr).toContain('is already running');
  });

  test('sockets outside the sandbox are not created: a warning, as Lima gives for a failed forward', async () => {
    await mac.seedInstance(
      'outside',
      'portForwards:\n- guestSocket: /run/asc-sim.sock\n  hostSocket: x.sock\n  reverse: true\n',
    );
    const start = await limactl('start', '--tty=false', 'outside');
    expect(start.exitCode).toBe(0);
    expect(start.stderr).toContain('level=warning msg="fake limactl: not forwarding');
    expect(existsSync('/run/asc-sim.sock')).toBe(false);
    expect((await limactl('stop', 'outside')).exitCode).toBe(0);
  });

  test('seedInstance can start an instance; delete -f removes a running one', async () => {
    await mac.seedInstance('seeded', 'cpus: 1\n', { running: true, limaVersion: '2.0.3' });
    expect(await mac.vmRunning('seeded')).toBe(true);
    const shell = await limactl('shell', 'seeded', 'sh', '-c', 'echo $HOME');
    expect(shell.stdout).toBe(`${path.join(mac.guestRoot, 'home', `${mac.user}.linux`)}\n`);
    expect((await limactl('delete', 'seeded')).exitCode).toBe(1);
    expect((await limactl('delete', '-f', 'seeded')).exitCode).toBe(0);
    expect(await mac.vmRunning('seeded')).toBe(false);
  });

  test('stopAll leaves no process of this sandbox behind (ssh masters included)', async () => {
    // An ssh ControlMaster persists in the background (ControlPersist yes), as on a real Mac.
    expect((await sandbox.exec('ssh', ['-F', sshConfig, 'lima-default', 'true'])).exitCode).toBe(0);
    expect(simProcesses(sandbox).length).toBeGreaterThan(0);
    await mac.stopAll();
    expect(simProcesses(sandbox)).toEqual([]);
    expect(await mac.vmRunning('default')).toBe(false);
    await mac.stopAll();
  });
});

describe.skipIf(skip)('the watchdog of a forgotten VM', () => {
  test('removing the sandbox without stopAll still ends its processes', async () => {
    const sandbox = await createSandbox();
    const mac = await createSimulatedMac(sandbox);
    try {
      await mac.seedInstance('default', 'cpus: 1\n', { running: true });
      expect(simProcesses(sandbox).length).toBeGreaterThan(0);
      await sandbox.cleanup();
      await eventually(() => simProcesses(sandbox).length === 0, 'the watchdog to clean up', 10_000);
    } finally {
      await mac.stopAll();
      await sandbox.cleanup();
    }
  });
});
