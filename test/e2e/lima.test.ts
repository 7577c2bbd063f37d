// The lima plugin against the simulated Mac: a fake limactl that follows real Lima's contract, and a real
// sshd as the VM. Without /usr/sbin/sshd these tests skip, except in CI where they fail.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { diffLines } from 'diff';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipUnless } from '../harness/require.ts';
import { CLI, createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';
import { mkfifo } from './fifo.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

interface Row {
  id: string;
  status: string;
  reason: string | null;
  diff: string | null;
}

const USER_LIMA_YAML = `# My VM. Tuned by hand, do not lose these comments.
images:
- location: "https://cloud-images.ubuntu.com/releases/25.10/release/ubuntu-25.10-server-cloudimg-arm64.img"
  arch: "aarch64"

# resources
cpus: 6   # six is plenty
memory: "12GiB"
disk: "50GiB"

mounts:
- location: "~"
# the repo, writable
- location: "~/github/sysinit"
  writable: true

containerd:
  system: false
  user: false
`;

describe.skipIf(skip).sequential('the lima plugin on a simulated Mac', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (lima: string, extra = '') =>
    sandbox.write('sysinit/.ascrc.yaml', `plugins:\n  lima:\n${lima.replace(/^/gm, '    ')}\n${extra}`);
  const limaYaml = () => readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8');
  const sshConfig = () => path.join(sandbox.home, '.ssh', 'config');
  const rows = (stdout: string) => (JSON.parse(stdout) as { tasks: Row[] }).tasks;
  /** The sandbox's files, but the fake limactl's own call log (which a read-only limactl call appends to). */
  const snapshot = async () => {
    const files = await sandbox.snapshot();
    for (const key of files.keys()) if (key.endsWith('.fake-limactl-calls.log')) files.delete(key);
    return files;
  };

  it('a fresh Mac: run phase1 creates, configures, starts, adds the Include; ssh lima-default then works', async () => {
    await config(
      'cpus: 4\nmemory: 8GiB\ndisk: 60GiB\nmounts:\n  - location: ~/github/sysinit\n    writable: true',
    );
    const run = await sandbox.asc(['run', 'phase1', '--yes'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    // The instance is created from the spec, so lima.config is already ok; ssh works once it runs.
    const statuses = Object.fromEntries(
      [...run.stdout.matchAll(/\((lima\.[a-z-]+)\): (\w+)/g)].map((m) => [m[1], m[2]]),
    );
    expect(statuses).toEqual({
      'lima.installed': 'ok',
      'lima.instance': 'changed',
      'lima.config': 'ok',
      'lima.running': 'changed',
      'lima.ssh-include': 'changed',
      'lima.ssh-reachable': 'ok',
    });

    const created = parse(await limaYaml());
    // Lima merges template:default into what asc gave it: its image and `~` mount follow asc's keys.
    expect(created).toMatchObject({
      cpus: 4,
      memory: '8GiB',
      disk: '60GiB',
      mounts: [{ location: '~/github/sysinit', writable: true }, { location: '~' }],
    });
    expect(created.base).toBeUndefined();
    expect(created.images[0].location).toMatch(/ubuntu-24\.04-server-cloudimg/);
    expect(await mac.vmRunning('default')).toBe(true);
    const include = `Include ${path.join(mac.limaHome, 'default', 'ssh.config')}`;
    expect(await readFile(sshConfig(), 'utf8')).toContain(include);
    expect((await stat(sshConfig())).mode & 0o777).toBe(0o600);

    const ssh = await sandbox.exec('ssh', [
      '-F',
      sshConfig(),
      '-o',
      'ControlMaster=no',
      'lima-default',
      'true',
    ]);
    expect(ssh.stderr).toBe('');
    expect(ssh.exitCode).toBe(0);
    const calls = (await mac.mutatingCalls()).map((argv) =>
      argv.filter((a) => !a.startsWith('-')).slice(0, 1),
    );
    expect(calls).toEqual([['create'], ['start']]);
    expect((await mac.callLog()).find((argv) => argv[0] === 'create')).toContain('--tty=false');

    // Converged: every task ok, and not one mutating limactl call; one `limactl list` per run.
    await mac.clearCallLog();
    const again = await sandbox.asc(['run', 'phase1', '--json'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(rows(again.stdout).map((r) => r.status)).toEqual(Array(6).fill('ok'));
    expect(await mac.mutatingCalls()).toEqual([]);
    expect((await mac.callLog()).filter((argv) => argv[0] === 'list')).toHaveLength(1);
    expect((await mac.callLog()).filter((argv) => argv[0] === 'shell')).toHaveLength(1);
    expect((await sandbox.asc(['plan', 'phase1'], { cwd })).exitCode).toBe(0);
  });

  it('with no config file at all, run all makes the default VM: default, 6 CPUs, 12GiB, 50GiB', async () => {
    const run = await sandbox.asc(['run', 'all'], { cwd: sandbox.home });
    expect(run.stderr).toMatch(/no config file found; using the built-in defaults \(lima\)/);
    expect(run.exitCode).toBe(0);
    expect(parse(await limaYaml())).toMatchObject({ cpus: 6, memory: '12GiB', disk: '50GiB' });
    expect(await mac.vmRunning('default')).toBe(true);
    const lima = await sandbox.exec('lima', ['uname', '-s']);
    expect(lima.stdout.trim()).toBe('Linux');
  });

  it("a VM with Lima's default disk (a template's null: 100GiB) converges with the default config: disk is a minimum", async () => {
    // As `limactl start` from a template leaves it: no disk key, so Lima's 100GiB; cpus and memory set.
    await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\nmounts:\n- location: "~"\n', {
      running: true,
    });
    const before = await limaYaml();
    const run = await sandbox.asc(['run', 'phase1', '--json'], { cwd: sandbox.home });
    expect(run.exitCode).toBe(0);
    const config = rows(run.stdout).find((r) => r.id === 'lima.config');
    expect(config).toMatchObject({
      status: 'ok',
      reason: 'disk 100GiB kept: more than the 50GiB asked, and Lima never shrinks a disk',
    });
    expect(await limaYaml()).toBe(before);
    await mac.clearCallLog();
    const again = await sandbox.asc(['run', 'phase1'], { cwd: sandbox.home });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(
      '  lima.config: disk 100GiB kept: more than the 50GiB asked, and Lima never shrinks a disk\n',
    );
    expect(again.stdout).toContain('✔ lima.yaml matches the VM spec (lima.config): ok\n');
    expect(await mac.mutatingCalls()).toEqual([]);
    // cpus stay exact: another count is a change, the disk still a note.
    await sandbox.write('.ascrc.yaml', 'plugins:\n  lima:\n    cpus: 4\n');
    const plan = await sandbox.asc(['plan', 'lima.config'], { cwd: sandbox.home });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toMatch(/would change: cpus 6 → 4; the running VM needs a restart/);
  });

  it('plain: true in lima.yaml, where Lima drops mounts and forwards: refused with why, every run, nothing written', async () => {
    const yaml = 'plain: true\ncpus: 6\nmemory: 12GiB\ndisk: 50GiB\n';
    await mac.seedInstance('default', yaml);
    await config('mounts:\n  - location: ~/github/sysinit\n    writable: true');
    for (const command of ['plan', 'run']) {
      const result = await sandbox.asc([command, 'lima.config'], { cwd });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toContain(
        '(lima.config): failed: lima.yaml sets plain: true, and in plain mode Lima drops every mount and port forward: mount ~/github/sysinit would never reach the VM',
      );
    }
    expect(await limaYaml()).toBe(yaml);
    expect(await mac.mutatingCalls()).toEqual([]);
  });

  it('an older Lima manages an existing instance, but says it cannot create one', async () => {
    const run = await sandbox.asc(['run', 'lima.instance'], {
      cwd: sandbox.home,
      env: { FAKE_LIMACTL_VERSION: '1.0.3' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(lima\.instance\): failed: limactl 1\.0\.3 cannot create default: asc creates it from `base: template:default`, which needs Lima 2\.0\.0 or newer/,
    );
    expect(await mac.mutatingCalls()).toEqual([]);
    await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n', { limaVersion: '1.0.3' });
    const managed = await sandbox.asc(['run', 'lima.config'], {
      cwd: sandbox.home,
      env: { FAKE_LIMACTL_VERSION: '1.0.3' },
    });
    expect(managed.exitCode).toBe(0);
  });

  it('a degraded start is reported with the log to read', async () => {
    await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n');
    await config('{}');
    const run = await sandbox.asc(['run', 'lima.running'], {
      cwd,
      env: { FAKE_LIMACTL_START_DEGRADED: '1' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(lima\.running\): failed: the VM default did not start cleanly: .*exit code 1/,
    );
    expect(run.stdout).toMatch(/DEGRADED/);
    expect(run.stdout).toMatch(/hint: see .*\/\.lima\/default\/ha\.stderr\.log/);
  });

  it("edits the user's own lima.yaml: a cpus change is exactly one line of diff", async () => {
    await mac.seedInstance('default', USER_LIMA_YAML);
    await config(
      'cpus: 8\nmemory: 12GiB\ndisk: 50GiB\nmounts:\n  - location: ~/github/sysinit\n    writable: true',
    );
    const run = await sandbox.asc(['run', 'lima.config'], { cwd });
    expect(run.exitCode).toBe(0);
    const after = await limaYaml();
    const changes = diffLines(USER_LIMA_YAML, after).filter((part) => part.added || part.removed);
    expect(changes).toEqual([
      expect.objectContaining({ removed: true, value: 'cpus: 6   # six is plenty\n' }),
      expect.objectContaining({ added: true, value: 'cpus: 8   # six is plenty\n' }),
    ]);
    const backups = path.join(sandbox.home, '.local/state/asc/backups');
    expect(existsSync(backups)).toBe(true);
    expect(await mac.mutatingCalls()).toEqual([]); // a stopped VM: no stop, no start, never `limactl edit`
    expect((await mac.callLog()).some((argv) => argv[0] === 'validate')).toBe(true);
  });

  it('a running VM with a changed config: no --yes, no restart; --yes: stop, write, start, once', async () => {
    await mac.seedInstance('default', USER_LIMA_YAML, { running: true });
    // Three plugins change the spec: the lima options, and two external plugins through the vm hook.
    const agent = path.join(sandbox.home, 'agent.sock');
    await sandbox.write(
      'sysinit/plugins/env.mjs',
      // Its task reads the guest facts at once (no needs), before lima.config restarts the VM.
      `export default { name: 'envvar', vm(spec) { spec.env.ASC_HELLO = 'world'; }, tasks: () => [{ id: 'early', phase: 'phase1', check: async (t) => { await t.guest.facts(); return { converged: true }; }, apply: async () => {} }] };\n`,
    );
    await sandbox.write(
      'sysinit/plugins/agent.mjs',
      `export default { name: 'agent', vm(spec) { spec.portForwards.push({ guestSocket: '{{.Home}}/agent.sock', hostSocket: ${JSON.stringify(agent)}, reverse: true }); }, tasks: () => [] };\n`,
    );
    await config(
      'cpus: 4\nmemory: 12GiB\ndisk: 50GiB\nmounts:\n  - location: ~/github/sysinit\n    writable: true',
      '  ./plugins/env.mjs: {}\n  ./plugins/agent.mjs: {}\n',
    );
    await mac.clearCallLog();

    const refused = await sandbox.asc(['run', 'phase1'], { cwd });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toMatch(
      /✖ .*\(lima\.config\): failed: the VM "default" is running and its config changed: a restart is needed/,
    );
    expect(refused.stdout).toMatch(/hint: run `asc run lima\.config --yes`/);
    expect(await mac.vmRunning('default')).toBe(true);
    expect(await limaYaml()).toBe(USER_LIMA_YAML);
    expect(await mac.mutatingCalls()).toEqual([]);

    const server = net.createServer((socket) => socket.end('pong'));
    await new Promise<void>((resolve) => server.listen(agent, resolve));
    try {
      // A stop and a start (sshd, a login, the master, the forward): over a minute on a loaded machine.
      const run = await sandbox.asc(['run', 'phase1', '--yes', '-v'], { cwd, timeoutMs: 150_000 });
      expect(run.exitCode, run.stdout + run.stderr).toBe(0);
      const verbs = (await mac.mutatingCalls()).map((argv) => argv[0]);
      expect(verbs).toEqual(['stop', 'start']);
      // lima.running asked the restarted guest, not the facts cached before the stop.
      const calls = (await mac.callLog()).map((argv) => argv[0]);
      expect(calls.lastIndexOf('shell')).toBeGreaterThan(calls.lastIndexOf('start'));
      const written = parse(await limaYaml());
      expect(written).toMatchObject({ cpus: 4, env: { ASC_HELLO: 'world' } });
      expect(written.portForwards).toHaveLength(1);
      // The start saw the new file: the reverse forward it set up reaches the host socket from the guest.
      expect(written.portForwards[0].guestSocket).toBe('{{.Home}}/agent.sock');
      const guestSocket = path.join(await mac.guestHome('default'), 'agent.sock');
      const reply = await sandbox.exec('limactl', [
        'shell',
        '--workdir',
        '/',
        'default',
        '--',
        process.execPath,
        '-e',
        `require('net').connect(${JSON.stringify(guestSocket)}).on('data', (d) => process.stdout.write(d))`,
      ]);
      expect(reply.stdout).toBe('pong');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a guest facts read while lima.config restarts the VM waits for the restart instead of failing', async () => {
    await mac.seedInstance('default', USER_LIMA_YAML, { running: true });
    // The stop takes the VM down, then waits at a FIFO; the task without needs opens that FIFO from its
    // check and reads the guest facts at once: the interleaving a loaded machine produces by chance.
    const fifo = path.join(sandbox.root, 'stop.fifo');
    await mkfifo(fifo);
    await sandbox.write(
      'sysinit/plugins/early.mjs',
      `export default { name: 'early', tasks: () => [{ id: 'facts', phase: 'phase1', async check(t) {
        await t.exec.query('sh', ['-c', 'echo down > "$1"', 'sh', ${JSON.stringify(fifo)}]);
        const facts = await t.guest.facts();
        return facts['lima.user'] ? { converged: true, reason: 'user ' + facts['lima.user'] } : { converged: false, reason: 'no facts' };
      }, apply: async () => {} }] };\n`,
    );
    await config('cpus: 4', '  ./plugins/early.mjs: {}\n');
    await mac.clearCallLog();
    const run = await sandbox.asc(['run', 'phase1', '--yes', '--json'], {
      cwd,
      env: { FAKE_LIMACTL_STOP_FIFO: fifo },
    });
    const rows = Object.fromEntries(
      (JSON.parse(run.stdout) as { tasks: Row[] }).tasks.map((row) => [row.id, [row.status, row.reason]]),
    );
    expect(rows['early.facts']).toEqual(['ok', expect.stringMatching(/^user /)]);
    expect(rows['lima.config']?.[0]).toBe('changed');
    expect(run.exitCode).toBe(0);
    // No guest command ran while the VM was down: every `limactl shell` is before the stop or after the start.
    const calls = (await mac.callLog()).map((argv) => argv[0]);
    const [stop, start] = [calls.indexOf('stop'), calls.indexOf('start')];
    expect(stop).toBeGreaterThan(-1);
    expect(calls.slice(stop, start)).not.toContain('shell');
  });

  it.each([
    { key: 'y', exitCode: 0, verbs: ['stop', 'start'], cpus: 4 },
    { key: 'n', exitCode: 1, verbs: [], cpus: 6 },
  ])(
    'at a terminal, asks before restarting the VM; pressing $key',
    async ({ key, exitCode, verbs, cpus }) => {
      await mac.seedInstance('default', USER_LIMA_YAML, { running: true });
      await config(
        'cpus: 4\nmemory: 12GiB\ndisk: 50GiB\nmounts:\n  - location: ~/github/sysinit\n    writable: true',
      );
      await mac.clearCallLog();
      // util-linux script gives asc a pseudo-terminal: stdin and stdout are TTYs, as in a real terminal.
      const command = `stty cols 200 rows 50; exec ${process.execPath} ${CLI} run phase1`;
      const tty = sandbox.spawn('script', ['-qfec', command, '/dev/null'], {
        cwd,
        env: { TERM: 'xterm' },
        keepStdinOpen: true,
        timeoutMs: 120_000,
      });
      await tty.waitFor(/needs a restart\. Stop it, write lima\.yaml and start it again\? \[y\/N\]/);
      tty.write(key);
      const result = await tty.result;
      expect(result.exitCode).toBe(exitCode);
      expect((await mac.mutatingCalls()).map((argv) => argv[0])).toEqual(verbs);
      expect(parse(await limaYaml()).cpus).toBe(cpus);
      expect(await mac.vmRunning('default')).toBe(true);
    },
  );

  it('plan on a drifted machine shows each drift with a diff of lima.yaml and ~/.ssh/config, changes nothing', async () => {
    await mac.seedInstance('default', USER_LIMA_YAML);
    await sandbox.write('.ssh/config', 'Host github.com\n  User git\n', 0o600);
    await config(
      'cpus: 8\nmemory: 16GiB\ndisk: 50GiB\nmounts:\n  - location: ~/github/sysinit\n    writable: true',
    );
    const before = await snapshot();
    const plan = await sandbox.asc(['plan', 'phase1'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain('~ lima.config: cpus 6 → 8, memory 12GiB → 16GiB');
    expect(plan.stdout).toMatch(/^\s+-cpus: 6 {3}# six is plenty$/m);
    expect(plan.stdout).toMatch(/^\s+\+cpus: 8 {3}# six is plenty$/m);
    expect(plan.stdout).toMatch(/^\s+\+memory: "16GiB"$/m);
    expect(plan.stdout).toContain('~ lima.ssh-include: Include');
    expect(plan.stdout).toMatch(/^\s+\+\+\+ ~\/\.ssh\/config$/m);
    expect(plan.stdout).toMatch(/^\s+\+Include .*\/\.lima\/default\/ssh\.config$/m);
    // Behind the drifted lima.config, the steps that follow still say what they would do.
    expect(plan.stdout).toMatch(/~ .*\(lima\.running\): would change: after lima\.config: status is Stopped/);
    expect(await snapshot()).toEqual(before);
    expect(await mac.mutatingCalls()).toEqual([]);
  });

  it('socket paths macOS cannot bind (over 103 bytes) are a clear error before anything is created or written', async () => {
    // A LIMA_HOME deep enough that Lima's ssh master socket would not fit in sun_path (104 bytes).
    const deep = path.join(sandbox.home, 'x'.repeat(Math.max(1, 110 - sandbox.home.length)));
    await config('cpus: 6');
    const long = await sandbox.asc(['run', 'phase1', '--yes'], { cwd, env: { LIMA_HOME: deep } });
    expect(long.exitCode).toBe(1);
    expect(long.stdout).toMatch(
      /✖ .*\(lima\.instance\): failed: the instance folder's longest socket \(Lima's ssh master\) .*\/default\/ssh\.sock\.1234567890123456 is \d+ bytes: a unix socket path on macOS must be shorter than 104 \(sun_path\)\n\s+hint: use a shorter LIMA_HOME \(or instance name\); nothing was changed/,
    );
    // Nothing was created: no `limactl create` into a folder whose sockets could not bind.
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(existsSync(path.join(deep, 'default'))).toBe(false);

    // A forward of the user's whose hostSocket is too long: lima.config says which one, and writes nothing.
    await mac.seedInstance('default', USER_LIMA_YAML);
    const hostSocket = path.join(sandbox.home, 'y'.repeat(Math.max(1, 110 - sandbox.home.length)));
    await config(
      `cpus: 6\nmemory: 12GiB\ndisk: 50GiB\nportForwards:\n  - guestSocket: /run/app.sock\n    hostSocket: ${hostSocket}`,
    );
    const yaml = await limaYaml();
    const forward = await sandbox.asc(['plan', 'phase1'], { cwd });
    expect(forward.exitCode).toBe(1);
    expect(forward.stdout).toMatch(
      /✖ .*\(lima\.config\): failed: portForwards\[0\]\.hostSocket .*y+ is \d+ bytes: a unix socket path on macOS must be shorter than 104/,
    );
    expect(forward.stdout).toMatch(
      /hint: shorten the hostSocket of that forward \(plugins\.lima\.portForwards\)/,
    );
    expect(await limaYaml()).toBe(yaml);
  });

  it('a limactl that hangs is killed after its timeout, naming the command', async () => {
    await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n');
    await config('startTimeout: 1s');
    // A limactl whose start ignores its own --timeout (real Lima honours it; a wedged one may not).
    await sandbox.exec('mv', [path.join(sandbox.bin, 'limactl'), path.join(sandbox.bin, 'limactl.sim')]);
    await sandbox.addBin(
      'limactl',
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = start ] && exec sleep 600; done\nexec "$(dirname "$0")/limactl.sim" "$@"\n`,
    );
    const run = await sandbox.asc(['run', 'lima.running'], { cwd });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(lima\.running\): failed: the VM default did not start cleanly: Command timed out after 2s: limactl start --tty=false --timeout=1s default/,
    );
    expect(run.stdout).toMatch(/ha\.stderr\.log/);
  });

  it('mount paths with spaces, quotes and $(…) reach lima.yaml literally and run nothing', async () => {
    const pwned = path.join(sandbox.root, 'pwned');
    const location = `~/my code/"quoted" 'single' $(touch ${pwned}) \`touch ${pwned}\``;
    await config(`mounts:\n  - location: ${JSON.stringify(location)}\n    writable: true`);
    const run = await sandbox.asc(['run', 'lima.config', '--yes'], { cwd });
    expect(run.exitCode).toBe(0);
    // Then template:default's `~`, which Lima merges in at create.
    expect(parse(await limaYaml()).mounts).toEqual([{ location, writable: true }, { location: '~' }]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('~/.ssh/config from home-manager is not written: the task says what to add, and passes once it is there', async () => {
    const store = path.join(sandbox.root, 'nix', 'store');
    const managed = await sandbox.write(
      path.join(store, 'xyz-home-manager-files/.ssh/config'),
      'Host *\n  ServerAliveInterval 60\n',
      0o444,
    );
    await sandbox.exec('mkdir', ['-p', path.dirname(sshConfig())]);
    expect((await sandbox.exec('ln', ['-s', managed, sshConfig()])).exitCode).toBe(0);
    await config('{}');
    const env = { NIX_STORE_DIR: store };
    const run = await sandbox.asc(['run', 'lima.ssh-include'], { cwd, env });
    expect(run.exitCode).toBe(1);
    const target = path.join(mac.limaHome, 'default', 'ssh.config');
    expect(run.stdout).toContain(`programs.ssh.includes = [ "${target}" ];`);
    expect(await readFile(managed, 'utf8')).toBe('Host *\n  ServerAliveInterval 60\n');

    // home-manager switch: a new store file with the Include, and the link now points at it.
    const next = await sandbox.write(
      path.join(store, 'abc-home-manager-files/.ssh/config'),
      `Include ${target}\n\nHost *\n`,
      0o444,
    );
    await sandbox.exec('ln', ['-sfn', next, sshConfig()]);
    const after = await sandbox.asc(['run', 'lima.ssh-include'], { cwd, env });
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toMatch(/✔ .*\(lima\.ssh-include\): ok/);
  });

  it('a stow-managed ~/.ssh/config link is written through and stays a link', async () => {
    const real = await sandbox.write('dotfiles/ssh/config', 'Host github.com\n  User git\n', 0o600);
    await sandbox.exec('mkdir', ['-p', path.dirname(sshConfig())]);
    await sandbox.exec('ln', ['-s', real, sshConfig()]);
    await config('{}');
    const run = await sandbox.asc(['run', 'lima.ssh-include'], { cwd });
    expect(run.exitCode).toBe(0);
    expect((await sandbox.exec('test', ['-L', sshConfig()])).exitCode).toBe(0);
    expect(await readFile(real, 'utf8')).toMatch(
      /^# Lima instance "default".*\nInclude .*ssh\.config\n\nHost github\.com\n {2}User git\n$/,
    );
  });
});
