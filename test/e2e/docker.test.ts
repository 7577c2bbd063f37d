// The docker plugin (and, where the issue asks for both, the onepassword plugin) on the simulated Mac: a
// fake Colima whose Docker daemon answers on a unix socket in HOME, reached from the guest by the real
// docker CLI through a real OpenSSH reverse forward riding the instance's ssh ControlMaster.
import { readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, type SshAgent, startSshAgent } from '../sim/host-services.ts';
import {
  createSimulatedMac,
  type GuestShell,
  type SimulatedMac,
  SSHD_PATH,
  sshdAvailable,
} from '../sim/index.ts';

const dockerCli = programOnPath('docker');
const noSshd = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');
const noDocker = skipUnless(dockerCli !== undefined, 'the docker CLI', 'apt-get install docker.io');
const skip = noSshd || noDocker;

interface Row {
  id: string;
  status: string;
  reason: string | null;
}

const CONTAINERS = [
  { Name: 'web', Image: 'nginx:1.27' },
  { Name: 'db', Image: 'postgres:17', State: 'exited' as const, Status: 'Exited (0) 3 days ago' },
];

// Each step spawns the CLI, the fake limactl, ssh and sshd: generous deadlines, on a shared 2-core machine.
describe.skipIf(skip).sequential('the docker plugin on a simulated Mac', { timeout: 300_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let guest: GuestShell;
  let cwd: string;
  let agent: SshAgent | undefined;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    agent = undefined;
    guest = await mac.setupGuestShell('default', {
      packages: {
        'docker-cli': ['docker', dockerCli ?? ''],
        '1password-cli': ['op', path.join(sandbox.bin, 'op')],
      },
    });
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (plugins: string) =>
    sandbox.write('sysinit/.ascrc.yaml', `plugins:\n  lima: {}\n${plugins}`);
  const statuses = (stdout: string) =>
    Object.fromEntries([...stdout.matchAll(/\(([a-z]+\.[a-z-]+)\): (\w+)/g)].map((m) => [m[1], m[2]]));
  const rows = (stdout: string) => (JSON.parse(stdout) as { tasks: Row[] }).tasks;
  const guestSocket = async (file: string) => path.join(await mac.guestHome('default'), file);
  const lima = (...args: string[]) => sandbox.exec('lima', args, { timeoutMs: 120_000 });
  const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
  const startAgent = async () => {
    agent = await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'dev@mac');
    return agent;
  };

  it('a fresh Mac with docker and onepassword: one boot, then `lima docker ps` lists Colima’s containers; plain ssh too; a second run changes nothing', async () => {
    await mac.startColima({ containers: CONTAINERS });
    await startAgent();
    await config('  docker: {}\n  onepassword: {}\n');
    const run = await asc(['run', 'all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(statuses(run.stdout)).toMatchObject({
      'lima.instance': 'changed',
      // The env value waits for the instance to exist: lima.config expands {{.Home}} before the first start.
      'lima.config': 'changed',
      'lima.running': 'changed',
      'docker.host-socket': 'changed',
      'docker.guest-cli': 'changed',
      'docker.works': 'ok',
      'onepassword.agent-socket': 'changed',
      'onepassword.agent-works': 'ok',
    });
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).toEqual(['create', 'start']);
    expect(await guest.aptInstalls()).toEqual(['docker-cli']);

    const yaml = parse(await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8'));
    const socket = await guestSocket('.asc-docker.sock');
    expect(yaml.portForwards).toEqual([
      {
        guestSocket: '{{.Home}}/.asc-docker.sock',
        hostSocket: '{{.Dir}}/sock/asc-docker.sock',
        reverse: true,
      },
      {
        guestSocket: '{{.Home}}/.asc-ssh-agent.sock',
        hostSocket: '{{.Dir}}/sock/asc-ssh-agent.sock',
        reverse: true,
      },
    ]);
    expect(yaml.env).toEqual({
      DOCKER_HOST: `unix://${socket}`,
      SSH_AUTH_SOCK: await guestSocket('.asc-ssh-agent.sock'),
    });
    // No mount of asc's: only template:default's `~`, which Lima merges into the new instance.
    expect(yaml.mounts).toEqual([{ location: '~' }]);
    expect(await readlink(path.join(mac.instanceDir('default'), 'sock/asc-docker.sock'))).toBe(
      path.join(sandbox.home, '.colima/default/docker.sock'),
    );

    // The real docker CLI, in a login shell (limactl shell), through the forward.
    const ps = await lima('docker', 'ps');
    expect(ps.stderr).toBe('');
    expect(ps.stdout).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    expect(ps.stdout).toMatch(/nginx:1\.27 .* web\n$/);
    expect(ps.stdout).not.toContain('db');
    const requests = await mac.dockerRequests();
    expect(requests.at(-1)).toEqual({
      method: 'GET',
      path: expect.stringMatching(/^\/v1\.\d+\/containers\/json$/),
      userAgent: expect.stringMatching(/^Docker-Client\//),
    });
    // Plain `ssh lima-default cmd` (no login shell) gets DOCKER_HOST too, as pam_env gives /etc/environment.
    const ssh = await sandbox.exec('ssh', [
      '-F',
      path.join(sandbox.home, '.ssh/config'),
      'lima-default',
      'printf %s "$DOCKER_HOST"',
    ]);
    expect(ssh.stdout).toBe(`unix://${socket}`);
    expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(agent?.keys.join('\n'));

    await mac.clearCallLog();
    const again = await asc(['run', 'all', '--json']);
    expect(again.exitCode).toBe(0);
    expect(rows(again.stdout).map((r) => [r.id, r.status])).toEqual(
      rows(again.stdout).map((r) => [r.id, 'ok']),
    );
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await guest.aptInstalls()).toEqual(['docker-cli']);
    // Every plugin's guest facts in one round trip; no other limactl shell for a converged docker.
    expect((await mac.callLog()).filter((argv) => argv[0] === 'shell')).toHaveLength(1);
  });

  it('Colima stopped: docker.works fails with the Colima reason, and the forward is left as it is', async () => {
    await mac.startColima({ containers: CONTAINERS });
    await config('  docker: {}\n');
    expect((await asc(['run', 'all', '--yes'])).exitCode).toBe(0);
    const socket = await guestSocket('.asc-docker.sock');
    const before = await stat(socket);

    await mac.stopColima();
    await mac.clearCallLog();
    const stopped = await asc(['run', 'phase2']);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stdout).toMatch(
      /✖ .*\(docker\.works\): failed: Colima is not running\n\s+hint: start Colima: `colima start`/,
    );
    const after = await stat(socket);
    expect([after.ino, after.ctimeMs]).toEqual([before.ino, before.ctimeMs]);
    expect((await mac.callLog()).filter((argv) => argv.includes('rm'))).toEqual([]);

    // A crashed Colima leaves its socket file: still Colima's fault, and asc says the file is stale.
    // `status` fails (exit 1) with the fix: a run could not fix it, so it must not say "would change" (3).
    await mac.startColima({ containers: CONTAINERS });
    await mac.stopColima({ crash: true });
    const crashed = await asc(['status', 'phase2']);
    expect(crashed.exitCode).toBe(1);
    expect(crashed.stderr).toMatch(
      /✖ docker\.works: Colima is not running; its socket file ~\/\.colima\/default\/docker\.sock is left behind\n\s+hint: start Colima: `colima start`/,
    );
    expect(crashed.stdout).not.toContain('docker.works: Colima');

    // Colima back: docker works again through the very same forward, with nothing to repair.
    await mac.startColima({ containers: CONTAINERS });
    const back = await asc(['run', 'phase2']);
    expect(back.exitCode).toBe(0);
    expect(statuses(back.stdout)['docker.works']).toBe('ok');
    expect((await stat(socket)).ino).toBe(before.ino);
  });

  it('Colima under ~/.config/colima: the forward leads where `colima status` says, and follows a move without a restart', async () => {
    await mac.startColima({ dir: '.config/colima', containers: CONTAINERS });
    await config('  docker: {}\n');
    expect((await asc(['run', 'all', '--yes'])).exitCode).toBe(0);
    const link = path.join(mac.instanceDir('default'), 'sock/asc-docker.sock');
    expect(await readlink(link)).toBe(path.join(sandbox.home, '.config/colima/default/docker.sock'));
    expect((await lima('docker', 'ps')).stdout).toContain('web');

    await mac.stopColima();
    await config(`  docker:\n    hostSocket: ~/.colima/default/docker.sock\n`);
    await mac.startColima({ dir: '.colima', containers: [{ Name: 'moved', Image: 'alpine' }] });
    await mac.clearCallLog();
    const moved = await asc(['run', 'phase2']);
    expect(moved.exitCode).toBe(0);
    expect(statuses(moved.stdout)).toMatchObject({ 'docker.host-socket': 'changed', 'docker.works': 'ok' });
    expect(await mac.mutatingCalls()).toEqual([]);
    expect((await lima('docker', 'ps')).stdout).toContain('moved');
  });

  it('docker and onepassword on a running VM: one lima.yaml edit, one stop and start; then nothing', async () => {
    await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n', { running: true });
    await mac.startColima({ containers: CONTAINERS });
    await startAgent();
    await config('  docker: {}\n  onepassword: {}\n');
    await mac.clearCallLog();
    const run = await asc(['run', 'all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).toEqual(['stop', 'start']);
    expect(statuses(run.stdout)).toMatchObject({
      'lima.config': 'changed',
      'docker.works': 'ok',
      'onepassword.agent-works': 'ok',
    });
    const yaml = parse(await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8'));
    expect(yaml.env).toEqual({
      DOCKER_HOST: `unix://${await guestSocket('.asc-docker.sock')}`,
      SSH_AUTH_SOCK: await guestSocket('.asc-ssh-agent.sock'),
    });
    expect((await lima('docker', 'ps')).stdout).toContain('web');
    expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(agent?.keys.join('\n'));

    await mac.clearCallLog();
    const again = await asc(['run', 'all']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toMatch(/: changed$/m);
    expect(await mac.mutatingCalls()).toEqual([]);
  });

  it('the Mac slept: status finds both forwards dead, and run phase2 heals both without a stop or a start', async () => {
    await mac.startColima({ containers: CONTAINERS });
    await startAgent();
    await config('  docker: {}\n  onepassword: {}\n');
    expect((await asc(['run', 'all', '--yes'])).exitCode).toBe(0);

    await mac.sleep('default');
    expect((await lima('docker', 'ps')).stderr).toMatch(/Cannot connect to the Docker daemon/);
    await mac.clearCallLog();
    const status = await asc(['status', 'phase2']);
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(
      /docker\.works: the forward in the VM does not answer .*Lima's ssh master died/,
    );
    expect(status.stdout).toMatch(/onepassword\.agent-works: the forward in the VM does not answer/);

    const run = await asc(['run', 'phase2', '-v']);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(statuses(run.stdout)).toMatchObject({
      'docker.works': 'changed',
      'onepassword.agent-works': 'changed',
    });
    expect(run.stdout).toMatch(/docker\.works: re-creating the forward .* over lima-default's ssh master/);
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await mac.vmRunning('default')).toBe(true);
    expect((await lima('docker', 'ps')).stdout).toContain('web');
    const keys = await lima('ssh-add', '-l');
    expect(keys.stdout.trim(), `${keys.exitCode} ${keys.stderr}\n${run.stdout}`).toBe(agent?.keys.join('\n'));
    expect((await asc(['status', 'phase2'])).exitCode).toBe(0);
  });

  it('plan on a drifted machine: the lima.yaml diff and the links, exit 3, nothing written', async () => {
    await mac.seedInstance('default', '# mine\ncpus: 6\nmemory: 12GiB\ndisk: 50GiB\n', { running: true });
    await mac.startColima({ containers: CONTAINERS });
    await config('  docker: {}\n  onepassword: {}\n');
    const before = await mac.snapshot();
    await mac.clearCallLog();
    const plan = await asc(['plan', 'all']);
    expect(plan.exitCode).toBe(3);
    const home = await mac.guestHome('default');
    expect(plan.stdout).toContain(
      '~ lima.config: port forward {{.Home}}/.asc-docker.sock missing, port forward {{.Home}}/.asc-ssh-agent.sock missing, env DOCKER_HOST, env SSH_AUTH_SOCK; the running VM needs a restart (stop → write → start)',
    );
    expect(plan.stdout).toMatch(/^\s+\+ {2}- guestSocket: "\{\{\.Home\}\}\/\.asc-docker\.sock"$/m);
    expect(plan.stdout).toContain(`+  DOCKER_HOST: unix://${home}/.asc-docker.sock`);
    expect(plan.stdout).toMatch(
      /~ .*\(docker\.host-socket\): would change: ~\/\.lima\/default\/sock\/asc-docker\.sock is missing, want → ~\/\.colima\/default\/docker\.sock \(`colima status`\)/,
    );
    expect(plan.stdout).toMatch(/↓ .*\(docker\.works\): skipped: would run after lima\.config/);
    expect(plan.stdout).toMatch(/↓ .*\(onepassword\.agent-works\): skipped: would run after lima\.config/);
    expect(await mac.snapshot()).toEqual(before);
    expect(await mac.mutatingCalls()).toEqual([]);
  });
});
