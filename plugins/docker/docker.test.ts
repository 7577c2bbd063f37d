import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readlink, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVmSpec } from '../../src/index.ts';
import {
  createTestContext,
  expectIdempotent,
  type FakeAnswer,
  type TestContextOptions,
} from '../../src/testing.ts';
import { shortTempDir } from '../../test/harness/short-tmp.ts';
import { dockerPlugin } from './index.ts';
import { dockerOptions } from './options.ts';
import { CLI_SCRIPT, PROBE_SCRIPT } from './tasks.ts';

const GUEST_HOME = '/home/dev.guest';
const GUEST_SOCKET = `${GUEST_HOME}/.asc-docker.sock`;

let home: string;
let servers: http.Server[] = [];

beforeEach(async () => {
  // Short: unix socket paths must stay under 104 characters.
  home = await shortTempDir('asc-dk-');
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(home, { recursive: true, force: true });
});

/** A Docker daemon on a unix socket: /_ping answers OK. */
async function daemon(socket: string): Promise<void> {
  await mkdir(path.dirname(socket), { recursive: true });
  const server = http.createServer((req, res) => {
    res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404, { 'Api-Version': '1.47' });
    res.end('OK');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  servers.push(server);
}

/** A socket file nobody listens on: what a crashed Colima leaves behind. */
async function leftover(socket: string): Promise<void> {
  await mkdir(path.dirname(socket), { recursive: true });
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`,
  ]);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

const probe = (fields: Record<string, string>) =>
  Object.entries({ home: GUEST_HOME, socket: 'yes', uptime: '5000.1', ...fields })
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

interface World {
  colima?: 'running' | 'stopped' | 'missing';
  colimaSocket?: string;
  /** What the guest probe says, in order of the calls after the first (the facts). */
  probes?: string[];
  cli?: string;
  os?: string;
  /** `limactl list` answers only once `colima status` has been asked (a check that waits never ends). */
  listAfterColima?: boolean;
}

/** A context on a Mac with an instance `default` in ~/.lima/default and the given Colima and guest. */
async function context(world: World, options: Partial<TestContextOptions> = {}) {
  const dir = path.join(home, '.lima', 'default');
  await mkdir(dir, { recursive: true });
  const probes = [...(world.probes ?? [])];
  const guestCalls: string[][] = [];
  let colimaAsked = () => {};
  const colima = new Promise<void>((resolve) => {
    colimaAsked = resolve;
  });
  const t = await createTestContext({
    home,
    id: 'docker.works',
    guestFacts: {
      'docker.os': world.os ?? 'ubuntu',
      'docker.cli': world.cli ?? '/usr/bin/docker',
      'docker.probe': probes.shift() ?? probe({ exit: '0', out: '27.4.0', env: `unix://${GUEST_SOCKET}` }),
    },
    exec: async (argv): Promise<FakeAnswer | undefined> => {
      const [file, ...args] = argv;
      if (file === 'limactl' && args[0] === 'list') {
        if (world.listAfterColima) await colima;
        return { stdout: JSON.stringify({ name: 'default', status: 'Running', dir }) };
      }
      if (file === 'colima') {
        colimaAsked();
        if (world.colima === 'missing') return undefined;
        if (world.colima === 'stopped')
          return { exitCode: 1, stderr: 'level=fatal msg="colima is not running"' };
        return { stdout: JSON.stringify({ docker_socket: `unix://${world.colimaSocket}` }) };
      }
      if (file === 'ssh') return { exitCode: args.includes('check') ? 255 : 0 };
      return undefined;
    },
    guest: (argv): FakeAnswer => {
      guestCalls.push([...argv]);
      if (argv[2] === PROBE_SCRIPT)
        return {
          stdout: probes.shift() ?? probe({ exit: '0', out: '27.4.0', env: `unix://${GUEST_SOCKET}` }),
        };
      if (argv[2] === CLI_SCRIPT) return { stdout: world.cli ?? '/usr/bin/docker' };
      return {};
    },
    ...options,
  });
  return { t, dir, guestCalls };
}

const task = (id: string, options = {}) => {
  const found = dockerPlugin.tasks(dockerOptions.parse(options), {} as never).find((x) => x.id === id);
  if (!found) throw new Error(id);
  return { ...found, id: `docker.${id}` };
};

describe('the docker plugin', () => {
  it('adds a reverse forward to the guest home and DOCKER_HOST for every shell: never a mount', () => {
    const spec = createVmSpec();
    dockerPlugin.vm?.(spec, dockerOptions.parse({}), {} as never);
    expect(spec.portForwards).toEqual([
      {
        guestSocket: '{{.Home}}/.asc-docker.sock',
        hostSocket: '{{.Dir}}/sock/asc-docker.sock',
        reverse: true,
      },
    ]);
    expect(spec.env).toEqual({ DOCKER_HOST: 'unix://{{.Home}}/.asc-docker.sock' });
    expect(spec.mounts).toEqual([]);
  });

  it('host-socket links the forward to the socket Colima reports, under ~/.config/colima too', async () => {
    const socket = path.join(home, '.config/colima/default/docker.sock');
    const { t, dir } = await context({ colima: 'running', colimaSocket: socket });
    expect((await expectIdempotent(task('host-socket'), t)).reason).toBe(
      '~/.lima/default/sock/asc-docker.sock is missing, want → ~/.config/colima/default/docker.sock (`colima status`)',
    );
    expect(await readlink(path.join(dir, 'sock/asc-docker.sock'))).toBe(socket);
  });

  it('host-socket and works ask Colima while limactl says where the instance is, not after', async () => {
    // limactl list answers only after colima status was asked: a check that asks in turn never ends.
    const socket = path.join(home, '.colima/default/docker.sock');
    await daemon(socket);
    const { t } = await context({ colima: 'running', colimaSocket: socket, listAfterColima: true });
    await expectIdempotent(task('host-socket'), t);
    const again = await context({ colima: 'running', colimaSocket: socket, listAfterColima: true });
    expect(await task('works').check(again.t)).toMatchObject({ converged: true });
  });

  it('host-socket follows plugins.docker.hostSocket without asking Colima, and keeps its link while Colima is stopped', async () => {
    const { t, dir } = await context({ colima: 'stopped' });
    await expectIdempotent(task('host-socket', { hostSocket: '~/docker.sock' }), t);
    expect(await readlink(path.join(dir, 'sock/asc-docker.sock'))).toBe(path.join(home, 'docker.sock'));
    expect(t.commands.some((c) => c.argv[0] === 'colima')).toBe(false);
    const later = await context({ colima: 'stopped' });
    expect((await task('host-socket').check(later.t)).converged).toBe(true);
  });

  it('guest-cli installs docker-cli with apt, falling back to docker.io where the release has no docker-cli', async () => {
    const { t, guestCalls } = await context(
      { cli: '' },
      {
        guest: (argv) => {
          guestCalls.push([...argv]);
          if (argv.includes('docker-cli'))
            return { exitCode: 100, stderr: 'E: Unable to locate package docker-cli' };
          if (argv[2] === CLI_SCRIPT) return { stdout: '/usr/bin/docker' };
          return {};
        },
      },
    );
    expect((await expectIdempotent(task('guest-cli'), t)).reason).toBe(
      'no docker CLI in the VM: apt-get would install it',
    );
    expect(t.guestCommands.filter((c) => c.mutating).map((c) => c.argv)).toEqual([
      ['sudo', '-n', 'apt-get', 'update', '-qq'],
      ['sudo', '-n', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'docker-cli'],
      ['sudo', '-n', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'docker.io'],
    ]);
    expect(t.logs.some((l) => l.startsWith('warn: this Ubuntu has no docker-cli package'))).toBe(true);
  });

  it('guest-cli on NixOS leaves the CLI to the flake and says so', async () => {
    const { t } = await context({ cli: '', os: 'nixos' });
    const check = await task('guest-cli').check(t);
    expect(check).toMatchObject({
      converged: false,
      reason: expect.stringContaining('comes from your NixOS flake (the nixos plugin)'),
    });
    await expect(task('guest-cli').apply(t)).rejects.toMatchObject({
      hint: expect.stringContaining('pkgs.docker-client'),
    });
    expect(t.guestCommands.filter((c) => c.mutating)).toEqual([]);
  });

  it('works: Colima stopped is the reason, its left-behind socket is named, and the forward is not touched', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await leftover(socket);
    const { t } = await context({
      colima: 'stopped',
      probes: [
        probe({
          exit: '1',
          out: `Cannot connect to the Docker daemon at unix://${GUEST_SOCKET}. Is the docker daemon running?`,
        }),
      ],
    });
    const check = await task('works').check(t);
    // Not a drift a run could fix: the check says so, with the user's fix (plan and status fail, exit 1).
    expect(check).toEqual({
      converged: false,
      cannotFix: true,
      reason: 'Colima is not running; its socket file ~/.colima/default/docker.sock is left behind',
      fix: 'start Colima: `colima start`',
    });
    await expect(task('works').apply(t)).rejects.toMatchObject({ hint: 'start Colima: `colima start`' });
    expect(t.commands.filter((c) => c.argv[0] === 'ssh')).toEqual([]);
    expect(t.guestCommands.filter((c) => c.mutating)).toEqual([]);
  });

  it('works: Colima not installed says how to get it', async () => {
    const { t } = await context({ colima: 'missing', probes: [probe({ exit: '1', out: 'Cannot connect' })] });
    expect(await task('works').check(t)).toMatchObject({
      reason: 'Colima is not installed, and no Docker daemon answers at ~/.colima/default/docker.sock',
    });
  });

  it('works: the daemon answers on the Mac but not in the VM: the forward is re-created over Lima’s master', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await daemon(socket);
    const dead = probe({
      exit: '1',
      out: `Cannot connect to the Docker daemon at unix://${GUEST_SOCKET}. Is the docker daemon running?`,
    });
    const { t, dir } = await context({
      colima: 'running',
      colimaSocket: socket,
      probes: [dead, probe({ exit: '0', out: '27.4.0', env: `unix://${GUEST_SOCKET}` })],
    });
    const reason = (await expectIdempotent(task('works'), t)).reason;
    expect(reason).toBe(
      `the forward in the VM does not answer (${GUEST_SOCKET}), while the daemon answers on the Mac: Lima's ssh master died (the Mac slept?)`,
    );
    const ssh = ['-F', path.join(dir, 'ssh.config'), '-o', 'ConnectTimeout=15'];
    const spec = `${GUEST_SOCKET}:${path.join(dir, 'sock/asc-docker.sock')}`;
    expect(t.commands.filter((c) => c.argv[0] === 'ssh').map((c) => c.argv.slice(1))).toEqual([
      [...ssh, '-O', 'check', 'lima-default'],
      [...ssh, 'lima-default', 'true'],
      [...ssh, '-O', 'cancel', '-R', spec, 'lima-default'],
      [...ssh, '-O', 'forward', '-R', spec, 'lima-default'],
    ]);
    expect(t.guestCommands.filter((c) => c.mutating).map((c) => c.argv)).toEqual([
      ['rm', '-f', GUEST_SOCKET],
    ]);
  });

  it('works after host-socket moved the link asks the VM again: the facts were read through the old one', async () => {
    // Colima moved: the guest facts, read before host-socket ran, saw the old target refuse.
    const socket = path.join(home, '.config/colima/default/docker.sock');
    await daemon(socket);
    const { t } = await context({
      colima: 'running',
      colimaSocket: socket,
      probes: [
        probe({ exit: '1', out: `Cannot connect to the Docker daemon at unix://${GUEST_SOCKET}.` }),
        probe({ exit: '0', out: '27.4.0', env: `unix://${GUEST_SOCKET}` }),
      ],
    });
    expect((await t.guest.facts())['docker.probe']).toContain('Cannot connect');
    await task('host-socket').apply(t);
    expect(await task('works').check(t)).toMatchObject({ converged: true });
    expect(t.commands.filter((c) => c.argv[0] === 'ssh')).toEqual([]);
  });

  it('works: right after a boot, waits for Lima to set the forward up instead of re-creating it', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await daemon(socket);
    const { t } = await context({
      colima: 'running',
      colimaSocket: socket,
      probes: [probe({ socket: 'no', exit: '1', out: 'Cannot connect', uptime: '20.5' })],
    });
    await expectIdempotent(task('works'), t);
    expect(t.commands.filter((c) => c.argv[0] === 'ssh')).toEqual([]);
    expect(t.logs).toContain('info: the VM has just booted: waiting for Lima to set its socket forwards up');
  });

  it('works: DOCKER_HOST missing from guest shells on NixOS points at the flake', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await daemon(socket);
    const { t } = await context({
      colima: 'running',
      colimaSocket: socket,
      os: 'nixos',
      probes: [probe({ exit: '0', out: '27.4.0', env: '' })],
    });
    expect(await task('works').check(t)).toMatchObject({
      reason: expect.stringContaining('DOCKER_HOST in guest shells is unset'),
    });
    await expect(task('works').apply(t)).rejects.toMatchObject({
      hint: expect.stringContaining('readenv=0'),
    });
  });

  it('works: a daemon that refuses is not a forward problem', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await daemon(socket);
    const { t } = await context({
      colima: 'running',
      colimaSocket: socket,
      probes: [
        probe({
          exit: '1',
          out: 'Error response from daemon: client version 1.50 is too new. Maximum supported API version is 1.47',
        }),
      ],
    });
    await expect(task('works').apply(t)).rejects.toThrow(
      /the Docker daemon refused: Error response from daemon/,
    );
    expect(t.commands.filter((c) => c.argv[0] === 'ssh')).toEqual([]);
  });

  it('doctor: Colima and its socket on the Mac (connecting), and the forward from inside the VM', async () => {
    const socket = path.join(home, '.colima/default/docker.sock');
    await leftover(socket);
    const { t } = await context({
      colima: 'running',
      colimaSocket: socket,
      probes: [probe({ exit: '1', out: 'Cannot connect' })],
    });
    const rows = dockerPlugin.doctor?.(dockerOptions.parse({}), {} as never) ?? [];
    const found = await Promise.all(rows.map(async (row) => [row.id, await row.run(t.withMode(true))]));
    expect(Object.fromEntries(found)).toEqual({
      daemon: {
        status: 'fail',
        message:
          'Colima runs, but its Docker daemon does not answer at ~/.colima/default/docker.sock: the socket file is there, but nothing listens on it',
        fix: 'restart Colima: `colima restart`',
      },
      forward: {
        status: 'fail',
        message:
          'the forwarded socket in the VM does not answer (a sleep of the Mac kills the forward, lima#5420)',
        fix: 'asc run docker.works (it re-creates the forward without restarting the VM)',
      },
    });
  });

  it('uninstall removes only its own link', async () => {
    const { t, dir } = await context({});
    await mkdir(path.join(dir, 'sock'), { recursive: true });
    execFileSync('ln', ['-s', '/nowhere', path.join(dir, 'sock/asc-docker.sock')]);
    const [undo] = dockerPlugin.uninstall?.(dockerOptions.parse({}), {} as never) ?? [];
    if (!undo) throw new Error('no uninstall task');
    await expectIdempotent(undo, t);
  });
});
