// The simulated Mac's socket forwards ride a real ssh ControlMaster on <dir>/ssh.sock, as Lima's do, and die
// with it when the Mac sleeps (lima#5420); lima.yaml `env` reaches every guest session; and the fakes the
// docker and onepassword plugins meet: Colima and its Docker daemon, op, the guest's sudo and apt-get.
import { existsSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from './index.ts';
import { listProcesses } from './lib/procs.mjs';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

/** Connect to a unix socket and read what it says, or the error code. */
function ask(socket: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    let data = '';
    s.on('data', (chunk) => {
      data += chunk.toString();
    });
    s.on('end', () => resolve(data));
    s.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

// Each step spawns the CLI and the simulated Mac's tools: a safety net on a shared, loaded machine, not a threshold.
describe.skipIf(skip).sequential('socket forwards over the ssh ControlMaster', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let server: net.Server;
  let dir: string;
  let sshConfig: string;
  let guestSocket: string;
  const hostSocket = () => path.join(sandbox.home, 'service.sock');

  beforeAll(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    dir = mac.instanceDir('default');
    sshConfig = path.join(dir, 'ssh.config');
    server = net.createServer((socket) => socket.end('pong'));
    await new Promise<void>((resolve) => server.listen(hostSocket(), resolve));
    await mac.seedInstance(
      'default',
      [
        'portForwards:',
        '- guestSocket: "{{.Home}}/.service.sock"',
        `  hostSocket: ${JSON.stringify(hostSocket())}`,
        '  reverse: true',
        'env:',
        '  GREETING: "hello world"',
        '  LITERAL: "{{.Home}}/x"',
        '',
      ].join('\n'),
      { running: true },
    );
    guestSocket = path.join(await mac.guestHome('default'), '.service.sock');
  });

  afterAll(async () => {
    await mac?.stopAll();
    await new Promise((resolve) => server?.close(resolve));
    await sandbox?.cleanup();
  });

  const ssh = (...args: string[]) => sandbox.exec('ssh', ['-F', sshConfig, ...args]);

  test('start leaves a master on <dir>/ssh.sock that the forwards ride: no ssh process per forward', async () => {
    expect((await ssh('-O', 'check', 'lima-default')).exitCode).toBe(0);
    expect(await ask(guestSocket)).toBe('pong');
    const forwarders = listProcesses().filter((p) => p.cmdline.includes(`${guestSocket}:`));
    expect(forwarders).toEqual([]);
    expect((await lstat(guestSocket)).mode & 0o777).toBe(0o600);
  });

  test('lima.yaml env reaches limactl shell (a login shell) and plain ssh alike, values as written', async () => {
    const shell = await mac.limactl([
      'shell',
      'default',
      'sh',
      '-c',
      'printf "%s|%s" "$GREETING" "$LITERAL"',
    ]);
    expect(shell.stdout).toBe('hello world|{{.Home}}/x');
    const plain = await ssh('lima-default', 'printf "%s" "$GREETING"');
    expect(plain.stdout).toBe('hello world');
  });

  test('sleep: the forward dies, its guest socket stays and refuses; a new master has no forwards', async () => {
    await mac.sleep('default');
    expect(await mac.vmRunning('default')).toBe(true);
    expect((await lstat(guestSocket)).isSocket()).toBe(true);
    expect(await ask(guestSocket)).toBe('ECONNREFUSED');
    expect((await ssh('-O', 'check', 'lima-default')).exitCode).toBe(0);
  });

  test('ssh -O forward with ssh.config re-creates it, once the stale guest socket is gone', async () => {
    const spec = `${guestSocket}:${hostSocket()}`;
    // sshd does not replace a leftover socket file (StreamLocalBindUnlink no, OpenSSH's default).
    const refused = await ssh('-O', 'forward', '-R', spec, 'lima-default');
    expect(refused.exitCode).toBe(255);
    expect(refused.stderr).toContain('remote port forwarding failed for listen path');
    expect((await mac.limactl(['shell', 'default', 'rm', '-f', guestSocket])).exitCode).toBe(0);
    expect((await ssh('-O', 'forward', '-R', spec, 'lima-default')).exitCode).toBe(0);
    expect(await ask(guestSocket)).toBe('pong');
  });

  test('stop takes the master, its forwards and the guest socket away', async () => {
    expect((await mac.limactl(['stop', 'default'])).exitCode).toBe(0);
    expect(existsSync(guestSocket)).toBe(false);
    expect(existsSync(path.join(dir, 'ssh.sock'))).toBe(false);
    expect(listProcesses().filter((p) => p.cmdline.includes(`${dir}/`))).toEqual([]);
  });
});

describe.skipIf(skip)('the fakes of the docker and onepassword plugins', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  beforeAll(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
  });
  afterAll(async () => {
    await mac?.stopAll();
    await sandbox?.cleanup();
  });

  test('colima status: exit 1 and no JSON when stopped; the docker socket when running; a crash leaves the socket', async () => {
    const stopped = await sandbox.exec('colima', ['status', '--json']);
    expect(stopped).toMatchObject({ exitCode: 1, stdout: '' });
    expect(stopped.stderr).toMatch(/level=fatal msg="colima is not running"/);

    const socket = await mac.startColima({
      dir: '.config/colima',
      containers: [{ Name: 'web', Image: 'nginx' }],
    });
    expect(socket).toBe(path.join(sandbox.home, '.config/colima/default/docker.sock'));
    const running = await sandbox.exec('colima', ['status', '--json']);
    expect(running.exitCode).toBe(0);
    expect(JSON.parse(running.stdout)).toMatchObject({
      docker_socket: `unix://${socket}`,
      runtime: 'docker',
    });
    const ping = await new Promise<string>((resolve) => {
      const s = net.connect(socket, () => s.write('GET /_ping HTTP/1.0\r\n\r\n'));
      let data = '';
      s.on('data', (chunk) => {
        data += chunk.toString();
      });
      s.on('end', () => resolve(data));
    });
    expect(ping).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(ping).toMatch(/\r\nApi-Version: 1\.47\r\n/);
    expect(ping.endsWith('\r\n\r\nOK')).toBe(true);

    await mac.stopColima({ crash: true });
    expect((await lstat(socket)).isSocket()).toBe(true);
    expect(await ask(socket)).toBe('ECONNREFUSED');
    expect((await sandbox.exec('colima', ['status'])).exitCode).toBe(1);
    expect(await mac.dockerRequests()).toEqual([{ method: 'GET', path: '/_ping', userAgent: '' }]);
  });

  test('op read prints the item; op whoami needs a known service account token', async () => {
    await mac.setOpItems({ 'op://Dev/asc/credential': 'ops_example' });
    expect((await sandbox.exec('op', ['read', 'op://Dev/asc/credential'])).stdout).toBe('ops_example\n');
    const missing = await sandbox.exec('op', ['read', 'op://Dev/nope/credential']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^\[ERROR\] .* "nope" isn't an item in the "Dev" vault/);
    const anonymous = await sandbox.exec('op', ['whoami']);
    expect(anonymous.exitCode).toBe(1);
    expect(anonymous.stderr).toMatch(/^\[ERROR\] .*account is not signed in/);
    const whoami = await sandbox.exec('op', ['whoami'], { env: { OP_SERVICE_ACCOUNT_TOKEN: 'ops_example' } });
    expect(whoami.stdout).toMatch(/^User Type:\s+SERVICE_ACCOUNT$/m);
  });

  test('the guest shell: hidden programs, sudo apt-get installs, sudo maps /etc into the guest root', async () => {
    await mac.seedInstance('default', 'cpus: 1\n', { running: true });
    const guest = await mac.setupGuestShell('default', {
      packages: { 'docker-cli': ['docker', '/bin/echo'] },
    });
    const shell = (script: string, input?: string) =>
      mac.limactl(['shell', 'default', 'sh', '-c', script], input === undefined ? {} : { input });
    expect((await shell('command -v docker')).exitCode).not.toBe(0);
    const noRoot = await shell('apt-get install -y docker-cli');
    expect(noRoot.exitCode).toBe(100);
    expect(noRoot.stderr).toContain('are you root?');
    expect((await shell('sudo -n apt-get install -y nope')).stderr).toContain(
      'Unable to locate package nope',
    );
    expect((await shell('sudo -n apt-get install -y -qq docker-cli && docker hi')).stdout).toBe('hi\n');
    expect(await guest.aptInstalls()).toEqual(['docker-cli']);
    expect(
      (await shell('sudo -n tee /etc/profile.d/x.sh >/dev/null', 'export FROM_PROFILE_D=yes\n')).exitCode,
    ).toBe(0);
    expect(await readFile(path.join(mac.guestRoot, 'etc/profile.d/x.sh'), 'utf8')).toBe(
      'export FROM_PROFILE_D=yes\n',
    );
    expect((await shell('printf %s "$FROM_PROFILE_D"')).stdout).toBe('yes');
    expect(await guest.sudoCalls()).toContainEqual({
      argv: ['tee', '/etc/profile.d/x.sh'],
      input: 'export FROM_PROFILE_D=yes\n',
    });
    const refused = await shell('sudo -n systemctl restart ssh');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('is not run as root on the test machine');
  });
});
