// The fakes' behaviour that needs no sshd: Lima's on-disk state, list/create/validate/stop/delete/shell
// contracts (list, create, start, stop, shell, edit, as cmd/limactl does them) and the host-fact tools.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { parse } from 'yaml';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, subcommandOf } from './index.ts';

const LIMA_YAML = `# asc-managed VM
cpus: 2
memory: "12GiB" # binary units
disk: 60G
mounts:
- location: "~"
portForwards:
- guestSocket: "{{.Home}}/.ssh/agent.sock"
  hostSocket: "agent.sock"
  reverse: true
`;

let sandbox: Sandbox;
let mac: SimulatedMac;

beforeEach(async () => {
  sandbox = await createSandbox();
  mac = await createSimulatedMac(sandbox);
});

afterEach(async () => {
  await mac.stopAll();
  await sandbox.cleanup();
});

/**
 * Run a short-lived tool with the sandbox's environment. (sandbox.exec writes stdin after spawning, which
 * can hit EPIPE when the program has already exited: an unhandled error in the harness.)
 */
function quick(file: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: sandbox.env, cwd: sandbox.home }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function createDefault(yaml = LIMA_YAML) {
  const file = await sandbox.write('vm.yaml', yaml);
  const result = await mac.limactl(['create', '--tty=false', '--name', 'default', file]);
  expect(result.stderr).toContain('level=info msg="Run `limactl start default` to start the instance."');
  expect(result.exitCode).toBe(0);
}

// Each case starts the fake limactl (node) and often sshd: a safety net on a shared, loaded machine.
vi.setConfig({ testTimeout: 180_000 });

describe('limactl --version and the host tools', () => {
  test('limactl version follows cobra and trims a leading v', async () => {
    expect((await mac.limactl(['--version'])).stdout).toBe('limactl version 2.2.0\n');
    const old = await createSimulatedMac(sandbox, { limaVersion: 'v2.0.3' });
    expect((await old.limactl(['-v'])).stdout).toBe('limactl version 2.0.3\n');
  });

  test('sw_vers, uname and brew answer like an Apple Silicon Mac with Homebrew', async () => {
    const run = async (file: string, args: string[]) => (await quick(file, args)).stdout;
    expect(await run('sw_vers', ['-productVersion'])).toBe('15.5\n');
    expect(await run('sw_vers', ['-productName'])).toBe('macOS\n');
    expect(await run('sw_vers', [])).toMatch(
      /^ProductName:\t\tmacOS\nProductVersion:\t\t15\.5\nBuildVersion:\t\t\w+\n$/,
    );
    expect(await run('uname', ['-s'])).toBe('Darwin\n');
    expect(await run('uname', ['-m'])).toBe('arm64\n');
    expect(await run('uname', ['-sm'])).toBe('Darwin arm64\n');
    expect(await run('brew', ['--prefix'])).toBe(`${mac.brewPrefix}\n`);
    const install = await quick('brew', ['install', 'lima']);
    expect(install.exitCode).toBe(1);
    expect(install.stderr).toContain('Error:');
    const custom = await createSimulatedMac(sandbox, { macosVersion: '14.7.1' });
    expect(custom.limaVersion).toBe('2.2.0');
    expect(await run('sw_vers', ['-productVersion'])).toBe('14.7.1\n');
  });
});

describe('limactl list', () => {
  test('no instance: a warning on stderr, nothing on stdout, exit 0', async () => {
    const result = await mac.limactl(['list', '--json']);
    expect(result).toMatchObject({ exitCode: 0, stdout: '' });
    expect(result.stderr).toMatch(
      /^time="[^"]+" level=warning msg="No instance found. Run `limactl create` to create an instance."\n$/,
    );
  });

  test('JSON Lines sorted by name, sizes in bytes, the config with defaults and templates expanded', async () => {
    await createDefault();
    await mac.seedInstance('alpha', 'memory: 2G\n');
    for (const args of [
      ['list', '--json'],
      ['ls', '--json'],
      ['list', '--format', 'json'],
      ['list', '-f', 'json'],
    ]) {
      const result = await mac.limactl(args);
      expect(result.exitCode).toBe(0);
      const [alpha, vm] = jsonLines(result.stdout);
      expect(result.stdout.split('\n')).toHaveLength(3);
      expect(alpha).toMatchObject({ name: 'alpha', memory: 2 * 1024 ** 3, cpus: 4, disk: 100 * 1024 ** 3 });
      expect(vm).toMatchObject({
        name: 'default',
        hostname: 'lima-default',
        status: 'Stopped',
        dir: mac.instanceDir('default'),
        vmType: 'vz',
        arch: 'aarch64',
        cpus: 2,
        memory: 12 * 1024 ** 3,
        disk: 60 * 1024 ** 3,
        sshConfigFile: path.join(mac.instanceDir('default'), 'ssh.config'),
        sshAddress: '127.0.0.1',
        protected: false,
        limaVersion: '2.2.0',
      });
      expect(vm).not.toHaveProperty('sshLocalPort');
      const config = vm?.config as Record<string, unknown>;
      expect(config).toMatchObject({ cpus: 2, memory: '12GiB', disk: '60G', vmType: 'vz' });
      expect(config.portForwards).toEqual([
        expect.objectContaining({
          guestSocket: path.join(await mac.guestHome('default'), '.ssh/agent.sock'),
          hostSocket: path.join(mac.instanceDir('default'), 'sock', 'agent.sock'),
          reverse: true,
        }),
      ]);
      expect(config.mounts).toEqual([expect.objectContaining({ location: sandbox.home, writable: false })]);
    }
  });

  test('a named missing instance: exit 1, others still printed, nothing for the missing one', async () => {
    const alone = await mac.limactl(['list', '--json', 'default']);
    expect(alone).toMatchObject({ exitCode: 1, stdout: '' });
    expect(alone.stderr).toContain('level=warning msg="No instance matching default found."');
    expect(alone.stderr).toContain('level=fatal msg="unmatched instances"');
    await createDefault();
    const mixed = await mac.limactl(['list', '--json', 'nope', 'default']);
    expect(mixed.exitCode).toBe(1);
    expect(jsonLines(mixed.stdout).map((i) => i.name)).toEqual(['default']);
    const quiet = await mac.limactl(['list', '-q', 'default', 'nope']);
    expect(quiet).toMatchObject({ exitCode: 1, stdout: 'default\n' });
  });

  test('-q, the table and a Go template', async () => {
    await createDefault();
    expect((await mac.limactl(['list', '-q'])).stdout).toBe('default\n');
    expect((await mac.limactl(['list', '-q', '--json'])).exitCode).toBe(1);
    const table = (await mac.limactl(['list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATUS\s+SSH\s+VMTYPE\s+ARCH\s+CPUS\s+MEMORY\s+DISK\s+DIR$/);
    expect(table[1]).toMatch(
      /^default\s+Stopped\s+127\.0\.0\.1:0\s+vz\s+aarch64\s+2\s+12GiB\s+60GiB\s+~\/\.lima\/default$/,
    );
    const template = await mac.limactl(['ls', '--format={{.SSHConfigFile}} {{.Status}}', 'default']);
    expect(template.stdout).toBe(`${path.join(mac.instanceDir('default'), 'ssh.config')} Stopped\n`);
    const bad = await mac.limactl(['ls', '--format', '{{.Nope}}']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("can't evaluate field Nope");
  });
});

describe('limactl create', () => {
  test('keeps the YAML bytes, writes lima-version, makes the user key, no ssh.config yet', async () => {
    await createDefault();
    const dir = mac.instanceDir('default');
    expect(await readFile(path.join(dir, 'lima.yaml'), 'utf8')).toBe(LIMA_YAML);
    expect(await readFile(path.join(dir, 'lima-version'), 'utf8')).toBe('2.2.0');
    expect(existsSync(path.join(dir, 'ssh.config'))).toBe(false);
    expect(await readFile(path.join(mac.limaHome, '_config', 'user.pub'), 'utf8')).toMatch(/^ssh-ed25519 /);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test('a `base:` chain is merged in, `base` removed and the file re-printed, as Lima 2 embeds it', async () => {
    await sandbox.write(
      'extra.yaml',
      '# extra base\nbase: template:default\nprovision:\n- mode: user\n  script: echo base\n',
    );
    const file = await sandbox.write(
      'vm.yaml',
      [
        '# asc-managed VM',
        'base: ./extra.yaml',
        'cpus: 6',
        'mounts:',
        '  - location: "~"',
        '    writable: true  # mine',
        '  - location: ~/sysinit',
        'provision:',
        '  - mode: system',
        '    script: echo mine',
        '',
      ].join('\n'),
    );
    const created = await mac.limactl(['create', '--tty=false', '--name=default', file]);
    expect(created.exitCode).toBe(0);
    const text = await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8');
    const stored = parse(text);
    expect(stored.base).toBeUndefined();
    expect(stored.images[0].location).toMatch(/ubuntu-24\.04-server-cloudimg-arm64\.img$/);
    expect(stored.minimumLimaVersion).toBe('2.0.0');
    // The template's own `~` keeps its fields, and template:default's `~` is combined into it.
    expect(stored.mounts).toEqual([{ location: '~', writable: true }, { location: '~/sysinit' }]);
    // A base's provision scripts come first.
    expect(stored.provision.map((p: { script: string }) => p.script)).toEqual(['echo base', 'echo mine']);
    expect(text).toMatch(/^# asc-managed VM\n/);
    expect(text).toContain('# mine');
    expect(text).toContain('\nmounts:\n- location: "~"\n');
    // Without `base:` the bytes are kept.
    const plain = await sandbox.write('plain.yaml', 'cpus: 2\nmounts:\n  - location: "~"\n');
    expect((await mac.limactl(['create', '--tty=false', '--name=plain', plain])).exitCode).toBe(0);
    expect(await readFile(path.join(mac.instanceDir('plain'), 'lima.yaml'), 'utf8')).toBe(
      'cpus: 2\nmounts:\n  - location: "~"\n',
    );
    const loop = await sandbox.write('loop.yaml', 'base: ./loop.yaml\n');
    const looped = await mac.limactl(['create', '--tty=false', '--name=loop', loop]);
    expect(looped.exitCode).toBe(1);
    expect(looped.stderr).toContain('base template loop detected');
  });

  test('an existing instance is an error', async () => {
    await createDefault();
    const again = await mac.limactl([
      'create',
      '--tty=false',
      '--name=default',
      path.join(sandbox.home, 'vm.yaml'),
    ]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('level=fatal msg="instance `default` already exists"');
  });

  test('the name comes from the file name; `-` reads stdin and needs --name', async () => {
    const file = await sandbox.write('dev.box.yaml', 'cpus: 1\n');
    expect((await mac.limactl(['create', '--tty=false', file])).exitCode).toBe(0);
    expect(existsSync(mac.instanceDir('dev.box'))).toBe(true);
    const noName = await mac.limactl(['create', '-'], { input: 'cpus: 1\n' });
    expect(noName.exitCode).toBe(1);
    expect(noName.stderr).toContain('must pass instance name with --name');
    const stdin = await mac.limactl(['create', '--name', 'piped', '-'], { input: '# from stdin\ncpus: 3\n' });
    expect(stdin.exitCode).toBe(0);
    expect(await readFile(path.join(mac.instanceDir('piped'), 'lima.yaml'), 'utf8')).toBe(
      '# from stdin\ncpus: 3\n',
    );
  });

  test('invalid YAML or config is refused, and nothing is written', async () => {
    for (const yaml of ['cpus: [1\n', '- a list\n', 'memory: lots\n', 'cpus: 0\n']) {
      const file = await sandbox.write('bad.yaml', yaml);
      const result = await mac.limactl(['create', '--tty=false', '--name', 'bad', file]);
      expect(result.exitCode, yaml).toBe(1);
      expect(result.stderr).toContain('level=fatal');
      expect(existsSync(mac.instanceDir('bad'))).toBe(false);
    }
  });

  test('strict mode: create/start/edit without --tty=false fail loudly (exit 2); --yes is accepted', async () => {
    const file = await sandbox.write('vm.yaml', LIMA_YAML);
    const bare = await mac.limactl(['create', '--name', 'default', file]);
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toContain('--tty=false');
    expect((await mac.limactl(['start', 'default'])).exitCode).toBe(2);
    expect((await mac.limactl(['--yes', 'create', '--name', 'default', file])).exitCode).toBe(0);
    expect((await mac.limactl(['edit', 'default'])).exitCode).toBe(2);
    const both = await mac.limactl(['create', '-y', '--tty=false', '--name', 'x', file]);
    expect(both.stderr).toContain('cannot use both --tty and --yes flags at the same time');
    const lenient = await createSimulatedMac(sandbox, { strictTty: false });
    expect((await lenient.limactl(['create', '--name', 'other', file])).exitCode).toBe(0);
  });
});

describe('limactl validate', () => {
  test('accepts a good file, names the problem in a bad one', async () => {
    const good = await sandbox.write('good.yaml', LIMA_YAML);
    const ok = await mac.limactl(['validate', good]);
    expect(ok.exitCode).toBe(0);
    const half = await sandbox.write('half.yaml', 'memory: .5GiB\ndisk: "100 GiB"\n');
    expect((await mac.limactl(['validate', half])).exitCode).toBe(0);
    expect(ok.stderr).toContain(': OK"');
    const cases: Array<[string, string]> = [
      ['portForwards:\n- guestSocket: /run/x.sock\n  reverse: true\n', 'portForwards[0].reverse'],
      ['portForwards:\n- guestSocket: x.sock\n  hostSocket: /tmp/x.sock\n', 'must be an absolute path'],
      ['memory: 12 apples\n', 'field `memory` has an invalid value'],
      // go-units v0.5.0: no space after the unit, one at most before it.
      [
        'memory: "12GiB "\n',
        'field `memory` has an invalid value: strconv.ParseFloat: parsing \\"12GiB\\": invalid syntax',
      ],
      [
        'disk: "12  GiB"\n',
        'field `disk` has an invalid value: strconv.ParseFloat: parsing \\"12 \\": invalid syntax',
      ],
      ['memory: 12GiBs\n', "field `memory` has an invalid value: invalid suffix: 'gibs'"],
      ['ssh:\n  localPort: 22\n', 'field `ssh.localPort` must not be 22'],
      ['portForwards:\n- guestPort: 22\n', 'field `portForwards[0].guestPort` must not be 22'],
      [
        'mounts:\n- location: /tmp\n',
        'field `mounts[0].mountPoint` must not be a system path such as /etc or /usr',
      ],
      [
        'mounts:\n- location: "~"\n  mountPoint: /home\n',
        'field `mounts[0].mountPoint` must not be a system path',
      ],
      ['cpus: -1\n', 'field `cpus`'],
      ['mounts:\n- location: 12\n', 'mounts[0].location'],
      ['a: b: c\n', 'failed to unmarshal YAML'],
    ];
    for (const [yaml, problem] of cases) {
      const file = await sandbox.write('bad.yaml', yaml);
      const result = await mac.limactl(['validate', good, file]);
      expect(result.exitCode, yaml).toBe(1);
      expect(result.stderr, yaml).toContain(problem);
    }
  });
});

describe('stop, delete, edit and shell on a stopped or missing instance', () => {
  test('stop: a stopped instance is an error; -f never fails on status', async () => {
    await createDefault();
    const stop = await mac.limactl(['stop', 'default']);
    expect(stop.exitCode).toBe(1);
    expect(stop.stderr).toContain(
      'level=fatal msg="expected status `Running`, got `Stopped` (maybe use `limactl stop -f`?)"',
    );
    expect((await mac.limactl(['stop', '-f', 'default'])).exitCode).toBe(0);
    expect((await mac.limactl(['stop', 'missing'])).exitCode).toBe(1);
  });

  test('before v2.1.2 names in messages are quoted with double quotes', async () => {
    const old = await createSimulatedMac(sandbox, { limaVersion: '2.1.0' });
    await createDefault();
    const stop = await old.limactl(['stop', 'default']);
    expect(stop.stderr).toContain(
      'msg="expected status \\"Running\\", got \\"Stopped\\" (maybe use `limactl stop -f`?)"',
    );
  });

  test('delete: a missing instance is only a warning; a stopped one is removed', async () => {
    const missing = await mac.limactl(['delete', 'nope']);
    expect(missing.exitCode).toBe(0);
    expect(missing.stderr).toContain('level=warning msg="Ignoring non-existent instance `nope`"');
    await createDefault();
    expect((await mac.limactl(['rm', 'default'])).exitCode).toBe(0);
    expect(existsSync(mac.instanceDir('default'))).toBe(false);
  });

  test('edit without --set and without a terminal changes nothing; --set is not simulated', async () => {
    await createDefault();
    const edit = await mac.limactl(['edit', 'default', '--tty=false']);
    expect(edit.exitCode).toBe(0);
    expect(edit.stderr).toContain('Aborting, as requested by saving the file with empty content');
    const set = await mac.limactl(['edit', '--tty=false', '--set', '.cpus = 4', 'default']);
    expect(set.exitCode).toBe(1);
    expect(set.stderr).toContain('not implemented');
    expect((await mac.limactl(['edit', '--tty=false', 'nope'])).stderr).toContain(
      'instance `nope` not found',
    );
  });

  test('shell: missing and stopped instances fail with Lima texts', async () => {
    const missing = await mac.limactl(['shell', 'x', 'true']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(
      'msg="instance `x` does not exist, run `limactl create x` to create a new instance"',
    );
    await createDefault();
    const stopped = await mac.limactl(['shell', '--tty=false', 'default', 'true']);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stderr).toContain(
      'msg="instance `default` is stopped, run `limactl start default` to start the instance"',
    );
    expect((await sandbox.exec('lima', ['true'])).stderr).toContain('instance `default` is stopped');
  });

  test('unknown subcommands and flags fail like cobra', async () => {
    const unknown = await mac.limactl(['frobnicate']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('unknown command \\"frobnicate\\" for \\"limactl\\"');
    const flag = await mac.limactl(['list', '--nope']);
    expect(flag.exitCode).toBe(1);
    expect(flag.stderr).toContain('unknown flag: --nope');
  });
});

describe('the test helpers', () => {
  test('callLog records every argv in order; mutatingCalls keeps the state-changing ones', async () => {
    await mac.limactl(['--version']);
    await createDefault();
    await mac.limactl(['--log-level', 'debug', 'list', '--json']);
    await mac.limactl(['stop', 'default']);
    expect(await mac.callLog()).toEqual([
      ['--version'],
      ['create', '--tty=false', '--name', 'default', path.join(sandbox.home, 'vm.yaml')],
      ['--log-level', 'debug', 'list', '--json'],
      ['stop', 'default'],
    ]);
    expect((await mac.mutatingCalls()).map(subcommandOf)).toEqual(['create', 'stop']);
    await mac.clearCallLog();
    expect(await mac.callLog()).toEqual([]);
  });

  test('seedInstance writes a stopped instance that is not in the call log; old versions get .linux', async () => {
    await mac.seedInstance('default', 'cpus: 3\n', { limaVersion: '2.0.3' });
    expect(await mac.callLog()).toEqual([]);
    expect(await mac.vmRunning('default')).toBe(false);
    expect(await mac.guestHome('default')).toBe(path.join(mac.guestRoot, 'home', `${mac.user}.linux`));
    const [inst] = jsonLines((await mac.limactl(['list', '--json'])).stdout);
    expect(inst).toMatchObject({ name: 'default', status: 'Stopped', cpus: 3, limaVersion: '2.0.3' });
  });
});
