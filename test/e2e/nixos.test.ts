// The nixos plugin on a simulated Mac: an Ubuntu guest moved to NixOS by delete and re-create, its home
// folder kept. The guest's OS is its os-release, bound over /etc/os-release in a private mount namespace
// (root only); fake nixos-rebuild, nix, hostnamectl, systemctl and sudo answer from the guest disk.
import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import {
  createSimulatedMac,
  guestOsAvailable,
  type SimulatedMac,
  SSHD_PATH,
  simulatedFlakeSystem,
  sshdAvailable,
  until,
} from '../sim/index.ts';

const noSshd = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');
const noGuestOs = skipUnless(
  guestOsAvailable(),
  'root with `unshare -m` (the sim binds the guest os-release over /etc/os-release)',
  'run the tests as root, as CI does',
);

interface Row {
  id: string;
  status: string;
  reason: string | null;
}

const UBUNTU_LIMA_YAML = `# Created by asc (ascalon) from your config. Edit freely: asc changes only the keys it manages.
base: template:default
cpus: 6
memory: 12GiB
disk: 50GiB
mounts:
- location: ~/sysinit
  writable: true
`;

const flake = (hostName = 'ascalon', extra = '') => `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
  inputs.nixos-lima.url = "github:nixos-lima/nixos-lima";
  outputs = { nixpkgs, nixos-lima, ... }: {
    nixosConfigurations.ascalon = nixpkgs.lib.nixosSystem {
      system = "aarch64-linux";
      modules = [
        nixos-lima.nixosModules.lima
        {
          services.lima.enable = true;
          users.mutableUsers = true;
          networking.hostName = "${hostName}";${extra}
        }
      ];
    };
  };
}
`;

/** A sparse disk image in the home: its length. */
const SPARSE_SIZE = 50 * 1024 * 1024;

/** A name with a space and a newline, binary content, odd modes and a symlink: what tar must carry. */
const PLANTED = {
  weird: 'notes/a file with space\nand newline.txt',
  script: 'bin/hello.sh',
  secret: '.secret',
  link: 'link-to-notes',
};

// A move starts the VM three times (seed, re-create, reboot into the flake) on a machine shared with other
// tests: a safety net, not a threshold.
const SLOW = { timeout: 180_000 };
/** A run that moves the VM (archive, re-create, restore, reboot): over a minute on a loaded machine. */
const MOVE_MS = 150_000;

describe.skipIf(noSshd || noGuestOs).sequential('the nixos plugin on a simulated Mac', SLOW, () => {
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

  const config = (nixos: string) =>
    sandbox.write(
      'sysinit/.ascrc.yaml',
      `plugins:\n  lima:\n    mounts:\n      - location: ~/sysinit\n        writable: true\n  nixos:\n${nixos.replace(/^/gm, '    ')}\n`,
    );
  const rows = (stdout: string) => (JSON.parse(stdout) as { tasks: Row[] }).tasks;
  const statusOf = (stdout: string) =>
    Object.fromEntries(
      [...stdout.matchAll(/\(((?:lima|nixos)\.[a-z-]+)\): (\w+)/g)].map((m) => [m[1], m[2]]),
    );
  const archiveDir = () => path.join(sandbox.home, '.local', 'state', 'asc', 'nixos');
  const archives = async () =>
    (await readdir(archiveDir()).catch(() => [] as string[])).filter((f) => f.endsWith('.tar.gz'));
  /** `limactl shell … tar -cSzf` calls: one per archive taken. */
  const archiveCalls = async () =>
    (await mac.callLog()).filter((argv) => argv[0] === 'shell' && argv.includes('-cSzf'));

  /** An Ubuntu VM made by Lima 2.0 (home /home/<u>.linux), running, with files planted in its home. */
  async function ubuntuWithFiles(): Promise<Record<string, { bytes: Buffer; mode: number }>> {
    await mac.setGuestOs('ubuntu');
    await sandbox.write('sysinit/flake.nix', flake());
    await mac.seedInstance('default', UBUNTU_LIMA_YAML, { running: true, limaVersion: '2.0.3' });
    const home = await mac.guestHome('default');
    expect(home.endsWith('.linux')).toBe(true);
    const files = {
      [PLANTED.weird]: { bytes: Buffer.from([0, 1, 2, 255, 10, 13, 0x41]), mode: 0o640 },
      [PLANTED.script]: { bytes: Buffer.from('#!/bin/sh\necho hello\n'), mode: 0o755 },
      [PLANTED.secret]: { bytes: Buffer.from('s3cret\n'), mode: 0o600 },
    };
    for (const [name, { bytes, mode }] of Object.entries(files)) {
      await sandbox.write(path.join(home, name), '');
      await writeFile(path.join(home, name), bytes, { mode });
      await sandbox.exec('chmod', [mode.toString(8), path.join(home, name)]);
    }
    await symlink(PLANTED.weird, path.join(home, PLANTED.link));
    const lima = await sandbox.exec('limactl', ['shell', 'default', '--', 'cat', '/etc/os-release']);
    expect(lima.stdout).toContain('ID=ubuntu');
    return files;
  }

  async function expectRestored(files: Record<string, { bytes: Buffer; mode: number }>) {
    const home = await mac.guestHome('default');
    expect(home.endsWith('.guest')).toBe(true);
    expect((await lstat(home)).isDirectory()).toBe(true);
    for (const [name, { bytes, mode }] of Object.entries(files)) {
      expect(await readFile(path.join(home, name))).toEqual(bytes);
      expect((await stat(path.join(home, name))).mode & 0o7777).toBe(mode);
    }
    expect(await readlink(path.join(home, PLANTED.link))).toBe(PLANTED.weird);
  }

  it('off unless enabled: list says so, run all touches nothing of it, lima.yaml has no NixOS image; `nixos: {}` is refused', async () => {
    await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima: {}\n');
    const list = await sandbox.asc(['list'], { cwd });
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/^ {2}nixos +disabled \(opt-in\) +NixOS in the VM/m);
    expect(list.stdout).not.toMatch(/nixos\.migrated/);

    const run = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(rows(run.stdout).filter((r) => r.id.startsWith('nixos.'))).toEqual([]);
    const created = parse(await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8'));
    // Made from template:default, which Lima merges in: its Ubuntu image, no `base:` left.
    expect(created.base).toBeUndefined();
    expect(created.images[0].location).toMatch(/ubuntu-24\.04-server-cloudimg/);
    expect(JSON.stringify(created)).not.toMatch(/nixos|guestPort/);
    expect(await mac.guestCalls()).toEqual([]);

    for (const value of ['{}', 'true']) {
      await sandbox.write('sysinit/.ascrc.yaml', `plugins:\n  lima: {}\n  nixos: ${value}\n`);
      await mac.clearCallLog();
      const refused = await sandbox.asc(['run', 'all'], { cwd });
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(
        /\.ascrc\.yaml:3:\d+: plugins\.nixos\.enabled: the nixos plugin is opt-in: write `nixos: \{ enabled: true \}` to turn it on/,
      );
      expect(await mac.callLog()).toEqual([]);
    }
  });

  it('without --yes and no TTY: exit 1, nothing stopped, started or deleted; plan says what would go and stay', async () => {
    const files = await ubuntuWithFiles();
    await config('enabled: true');
    await mac.clearCallLog();
    const before = await mac.snapshot();

    const plan = await sandbox.asc(['plan', 'all'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(await mac.snapshot()).toEqual(before);
    expect(await mac.mutatingCalls()).toEqual([]);
    const home = await mac.guestHome('default');
    // 3 files, the symlink, their 2 folders and the home itself (7), and the .profile-less home is all.
    expect(plan.stdout).toContain(
      `~ VM default runs NixOS (nixos.migrated): would change: default runs Ubuntu 24.04.2 LTS, not NixOS. Moving it: archive ${home} (7 entries) to ~/.local/state/asc/nixos/default-home-<time>.tar.gz and check it; save lima.yaml to ~/.local/state/asc/nixos/default-lima-<time>.yaml; stop and delete default with its disk`,
    );
    expect(plan.stdout).toMatch(
      /re-create it from nixos-lima v0\.2\.1; restore the home into the new guest home/,
    );
    // Behind the migration, lima.config says what its check finds today; the run checks it again after.
    expect(plan.stdout).toMatch(/\(lima\.config\): would change: after nixos\.migrated: /);

    const run = await sandbox.asc(['run', 'all'], { cwd });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /✖ .*\(nixos\.migrated\): failed: moving default to NixOS deletes the instance and re-creates it: asc does that only with --yes or a yes at the terminal/,
    );
    expect(run.stdout).toMatch(
      /hint: `asc run nixos\.migrated --yes` archives the guest home to ~\/\.local\/state\/asc\/nixos and checks the archive, saves lima\.yaml there, stops and deletes default, re-creates it from nixos-lima v0\.2\.1 and restores the home into it/,
    );
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await mac.vmRunning('default')).toBe(true);
    expect(await archives()).toEqual([]);
    expect(await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8')).toBe(UBUNTU_LIMA_YAML);
    await expectStillUbuntu(files);
  });

  async function expectStillUbuntu(files: Record<string, { bytes: Buffer; mode: number }>) {
    const home = await mac.guestHome('default');
    expect(home.endsWith('.linux')).toBe(true);
    for (const [name, { bytes }] of Object.entries(files))
      expect(await readFile(path.join(home, name))).toEqual(bytes);
    expect((await mac.guestState()).os).toBe('ubuntu');
  }

  it('with --yes: archive verified before the delete, NixOS re-created, home restored into .guest; then idempotent', async () => {
    const files = await ubuntuWithFiles();
    await config('enabled: true\nhost: ascalon');
    // A disk image in the home: 50 MiB long, 4 KiB of data at its end, the rest a hole.
    const image = path.join(await mac.guestHome('default'), 'vm.img');
    await sandbox.exec('truncate', ['-s', String(SPARSE_SIZE - 4096), image]);
    await appendFile(image, Buffer.alloc(4096, 7));
    expect((await stat(image)).blocks * 512).toBeLessThan(1024 * 1024);
    // The archive folder exists already, open to all: asc must close it.
    await mkdir(archiveDir(), { recursive: true, mode: 0o755 });
    await chmod(archiveDir(), 0o755);
    await mac.clearCallLog();

    const run = await sandbox.asc(['run', 'all', '--yes', '--json'], { cwd, timeoutMs: MOVE_MS });
    expect(run.stderr).toBe('');
    expect(run.exitCode, run.stdout).toBe(0);
    const statuses = Object.fromEntries(rows(run.stdout).map((r) => [r.id, r.status]));
    expect(statuses).toMatchObject({
      'nixos.migrated': 'changed',
      'lima.config': 'ok',
      'lima.running': 'ok',
      'nixos.rebuild': 'changed',
      // From the flake's networking.hostName, booted by the rebuild: the guest's hostnamectl refuses to set it.
      'nixos.hostname': 'ok',
      'nixos.services': 'ok',
    });
    expect(rows(run.stdout).find((r) => r.id === 'nixos.migrated')?.reason).toMatch(
      /^moved default to NixOS \(nixos-lima v0\.2\.1\): 8 entries of .*\.linux restored into .*\.guest from ~\/\.local\/state\/asc\/nixos\/default-home-.*\.tar\.gz, which is kept; the old lima\.yaml is ~\/\.local\/state\/asc\/nixos\/default-lima-.*\.yaml$/,
    );

    // The archive was taken (and listed) before anything was deleted, and it is kept.
    const calls = await mac.callLog();
    const archived = calls.findIndex((argv) => argv[0] === 'shell' && argv.includes('-cSzf'));
    const deleted = calls.findIndex((argv) => argv[0] === 'delete');
    expect(archived).toBeGreaterThan(-1);
    expect(deleted).toBeGreaterThan(archived);
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).toEqual([
      'stop',
      'delete',
      'create',
      'start',
      'stop',
      'start',
    ]);
    const [archive] = await archives();
    expect(archive).toMatch(/^default-home-[\dT-]+Z\.tar\.gz$/);
    const listing = await sandbox.exec('tar', ['-tzf', path.join(archiveDir(), archive ?? '')]);
    expect(listing.exitCode).toBe(0);
    expect(listing.stdout).toContain('./notes/a file with space\\nand newline.txt');
    expect((await stat(archiveDir())).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(archiveDir(), archive ?? ''))).mode & 0o777).toBe(0o600);
    const savedYaml = (await readdir(archiveDir())).find((f) => f.endsWith('.yaml'));
    expect(await readFile(path.join(archiveDir(), savedYaml ?? ''), 'utf8')).toBe(UBUNTU_LIMA_YAML);

    // The new VM: made from the NixOS image with the NixOS keys, running the flake, its home restored.
    const created = parse(await readFile(path.join(mac.instanceDir('default'), 'lima.yaml'), 'utf8'));
    expect(created.base).toBeUndefined();
    expect(created.images[0].location).toMatch(/nixos-lima-v0\.2\.1-aarch64\.qcow2$/);
    expect(created.images[0].digest).toMatch(/^sha512:748c723b/);
    expect(created).toMatchObject({ memory: '12GiB', containerd: { system: false, user: false } });
    expect(created.portForwards).toContainEqual({
      proto: 'udp',
      guestPort: 68,
      guestIP: '0.0.0.0',
      ignore: true,
    });
    await expectRestored(files);
    // The disk image came back sparse: its length, its data, and still (almost) no blocks.
    const restoredImage = path.join(await mac.guestHome('default'), 'vm.img');
    const sparse = await stat(restoredImage);
    expect(sparse.size).toBe(SPARSE_SIZE);
    expect(sparse.blocks * 512).toBeLessThan(1024 * 1024);
    expect((await readFile(restoredImage)).subarray(-4096)).toEqual(Buffer.alloc(4096, 7));
    const system = simulatedFlakeSystem(cwd, 'ascalon');
    expect(await mac.guestState()).toMatchObject({
      os: 'nixos',
      hostname: 'ascalon',
      currentSystem: system.toplevel,
      units: { 'lima-init': 'active', 'lima-guestagent': 'active' },
    });
    const guestCalls = await mac.guestCalls();
    expect(guestCalls.filter((argv) => argv.includes('hostnamectl') && argv.length > 2)).toEqual([]);
    expect(guestCalls).toContainEqual(['nixos-rebuild', 'boot', '--flake', `${cwd}#ascalon`, '--sudo']);

    // Converged: every task ok, no mutating limactl call, no guest change.
    await mac.clearCallLog();
    const guestCallsBefore = (await mac.guestCalls()).length;
    const again = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(rows(again.stdout).filter((r) => r.status !== 'ok')).toEqual([]);
    expect(await mac.mutatingCalls()).toEqual([]);
    // Only reads in the guest: no sudo, no rebuild.
    const newGuestCalls = (await mac.guestCalls()).slice(guestCallsBefore);
    expect(newGuestCalls.filter((argv) => argv[0] === 'sudo' || argv[0] === 'nixos-rebuild')).toEqual([]);
    expect((await sandbox.asc(['plan', 'all'], { cwd })).exitCode).toBe(0);
    expect(await archives()).toHaveLength(1);

    // One input changes (the flake): exactly nixos.rebuild runs again, as a switch this time (no restart).
    await sandbox.write('sysinit/flake.nix', flake('ascalon', '\n          time.timeZone = "Europe/Paris";'));
    const changed = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(changed.exitCode).toBe(0);
    expect(
      rows(changed.stdout)
        .filter((r) => r.status !== 'ok')
        .map((r) => [r.id, r.status]),
    ).toEqual([['nixos.rebuild', 'changed']]);
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await mac.guestCalls()).toContainEqual([
      'nixos-rebuild',
      'switch',
      '--flake',
      `${cwd}#ascalon`,
      '--sudo',
    ]);
    expect((await mac.guestState()).currentSystem).toBe(simulatedFlakeSystem(cwd, 'ascalon').toplevel);
  });

  it('stopped between "recreated" and "restored": the next run restores from the kept archive, never archiving the new home', async () => {
    const files = await ubuntuWithFiles();
    await config('enabled: true');
    // The restore into the new guest dies (the Mac's limactl shell is killed): the step is left undone.
    await mac.failAt('limactl', ['shell', 'tar', '-xzf']);
    const stopped = await sandbox.asc(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stdout).toMatch(
      /\(nixos\.migrated\): failed: Command was killed with SIGKILL: limactl shell .* -- tar -C \S+ -xzf -/,
    );
    // The new VM runs NixOS with an empty home; the old home is only in the archive now.
    expect((await mac.guestState()).os).toBe('nixos');
    expect(existsSync(path.join(await mac.guestHome('default'), PLANTED.secret))).toBe(false);
    expect(await archives()).toHaveLength(1);
    expect(await archiveCalls()).toHaveLength(1);

    const plan = await sandbox.asc(['plan', 'nixos.migrated'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toMatch(
      /moving default to NixOS stopped after "recreated": restored is left; the home archive ~\/\.local\/state\/asc\/nixos\/default-home-.*\.tar\.gz is kept and restored from/,
    );

    await mac.clearCallLog();
    const resumed = await sandbox.asc(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(resumed.exitCode).toBe(0);
    expect(statusOf(resumed.stdout)['nixos.migrated']).toBe('changed');
    expect(await archiveCalls()).toEqual([]);
    expect(await archives()).toHaveLength(1);
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).not.toContain('delete');
    await expectRestored(files);
  });

  it('stopped before the delete: nothing was deleted; the next run archives the untouched home afresh and keeps both', async () => {
    const files = await ubuntuWithFiles();
    await config('enabled: true');
    // `limactl stop` dies, after the home was archived and lima.yaml saved.
    await mac.failAt('limactl', ['stop', 'default']);
    const stopped = await sandbox.asc(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stdout).toMatch(
      /\(nixos\.migrated\): failed: Command was killed with SIGKILL: limactl stop default/,
    );
    const record = JSON.parse(
      await readFile(path.join(sandbox.home, '.local/state/asc/plugins/nixos.json'), 'utf8'),
    );
    expect(record['migration:default']).toMatchObject({ step: 'saved-config', entries: 7 });
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).not.toContain('delete');
    await expectStillUbuntu(files);
    expect(await archives()).toHaveLength(1);

    const resumed = await sandbox.asc(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(resumed.exitCode).toBe(0);
    expect(await archives()).toHaveLength(2);
    await expectRestored(files);
    const state = JSON.parse(
      await readFile(path.join(sandbox.home, '.local/state/asc/plugins/nixos.json'), 'utf8'),
    );
    expect(state['migration:default']).toMatchObject({ step: 'restored', entries: 7 });
    expect(state['migration:default'].earlier).toHaveLength(1);
  });

  it('killed while the archive streams, and after its rename: the next run leaves no .part and its record lists every archive', async () => {
    const files = await ubuntuWithFiles();
    await config('enabled: true');
    // A fault in the guest: its tar streams the whole archive, then hangs while the flag file exists.
    const flag = path.join(sandbox.root, 'hang-tar');
    const tools = path.join(sandbox.root, 'guest-faults');
    await sandbox.write(
      path.join(tools, 'tar'),
      `#!/bin/sh\n/usr/bin/tar "$@"\nstatus=$?\nif [ -e ${flag} ]; then : > ${flag}.reached; while [ -e ${flag} ]; do sleep 1; done; fi\nexit $status\n`,
      0o755,
    );
    await sandbox.write(flag, '');
    const home = await mac.guestHome('default');
    await sandbox.write(path.join(home, '.profile'), `PATH=${tools}:$PATH\n`);

    const killed = sandbox.start(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    await until(() => existsSync(`${flag}.reached`), 'the guest tar to finish streaming', 60_000);
    killed.signal('SIGKILL');
    await killed.result;
    await rm(flag);
    const left = await readdir(archiveDir());
    const partial = left.filter((f) => f.endsWith('.tar.gz.part'));
    expect(partial).toHaveLength(1);
    expect(await archives()).toEqual([]);
    // What a kill between the rename and the record leaves: a whole archive no record names.
    const unrecorded = (partial[0] ?? '').replace(/\.part$/, '');
    await copyFile(path.join(archiveDir(), partial[0] ?? ''), path.join(archiveDir(), unrecorded));
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).not.toContain('delete');

    const doctor = await sandbox.asc(['doctor'], { cwd });
    expect(doctor.stdout).toMatch(
      /nixos\.archives +1 archive\(s\), [\d.]+ \w+, in ~\/\.local\/state\/asc\/nixos; 1 partial archive\(s\) of an interrupted move/,
    );

    const resumed = await sandbox.asc(['run', 'nixos.migrated', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(resumed.exitCode).toBe(0);
    await expectRestored(files);
    const after = await readdir(archiveDir());
    expect(after.filter((f) => f.endsWith('.part'))).toEqual([]);
    const state = JSON.parse(
      await readFile(path.join(sandbox.home, '.local/state/asc/plugins/nixos.json'), 'utf8'),
    );
    const record = state['migration:default'];
    expect(record.step).toBe('restored');
    const recorded = [record.archive, ...(record.earlier ?? [])].map((f: string) => path.basename(f)).sort();
    expect(recorded).toEqual((await archives()).sort());
    expect(recorded).toHaveLength(2);
    const healthy = await sandbox.asc(['doctor'], { cwd });
    expect(healthy.stdout).toMatch(
      /nixos\.archives +2 archive\(s\), [\d.]+ \w+, in ~\/\.local\/state\/asc\/nixos\n/,
    );
  });

  it('a flake that would lock the user out is refused before the rebuild, naming what to add', async () => {
    await mac.setGuestOs('ubuntu');
    await sandbox.write('sysinit/flake.nix', flake().replace('services.lima.enable = true;', ''));
    await config('enabled: true');
    const run = await sandbox.asc(['run', 'all', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(run.exitCode).toBe(1);
    expect(statusOf(run.stdout)).toMatchObject({ 'nixos.migrated': 'ok', 'nixos.hostname': 'skipped' });
    expect(run.stdout).toMatch(
      /✖ .*\(nixos\.rebuild\): failed: will not rebuild from .*#ascalon: booting it would lock you out of the VM; the flake lacks services\.lima\.enable = true;/,
    );
    expect((await mac.guestCalls()).filter((argv) => argv[0] === 'nixos-rebuild')).toEqual([]);
    expect((await mac.guestState()).units).toEqual({ 'lima-init': 'active', 'lima-guestagent': 'active' });
  });

  it("the guest's hostnamectl refuses as NixOS's does; a flake with another hostName is applied, then nixos.hostname names the option", async () => {
    await mac.setGuestOs('ubuntu');
    await sandbox.write('sysinit/flake.nix', flake('nixos'));
    await config('enabled: true');
    const run = await sandbox.asc(['run', 'all', '--yes'], { cwd, timeoutMs: MOVE_MS });
    expect(run.exitCode).toBe(1);
    expect(statusOf(run.stdout)).toMatchObject({
      'nixos.migrated': 'ok',
      'nixos.rebuild': 'changed',
      'nixos.hostname': 'failed',
      'nixos.services': 'ok',
    });
    expect(run.stdout).toContain(
      `(nixos.hostname): failed: the hostname is nixos, not ascalon: ${cwd}#ascalon sets networking.hostName = "nixos"`,
    );
    expect(run.stdout).toContain(
      'hint: on NixOS the hostname comes from the flake, not from hostnamectl: set networking.hostName = "ascalon"; in nixosConfigurations.ascalon, then `asc run nixos.rebuild`',
    );
    expect(await mac.guestState()).toMatchObject({
      hostname: 'nixos',
      currentSystem: simulatedFlakeSystem(cwd, 'ascalon').toplevel,
    });
    expect((await mac.guestCalls()).filter((argv) => argv.includes('set-hostname'))).toEqual([]);
    // What a user trying it by hand gets, root or not: nixpkgs' systemd-hostnamed refuses.
    const refused = await sandbox.exec('limactl', [
      'shell',
      'default',
      '--',
      'sudo',
      'hostnamectl',
      'set-hostname',
      'ascalon',
    ]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(
      'Could not set pretty hostname: Changing system settings via systemd is not supported on NixOS.',
    );
    expect((await mac.guestState()).hostname).toBe('nixos');

    // Nothing asc could run fixes it, so status fails (1) with the option rather than promising a change (3).
    const status = await sandbox.asc(['status', 'nixos.hostname'], { cwd });
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toBe('status: 1 check(s) failed\n');
    const plan = await sandbox.asc(['plan', 'nixos.hostname'], { cwd });
    expect(plan.exitCode).toBe(1);
    expect(plan.stdout).toContain('(nixos.hostname): failed: the hostname is nixos, not ascalon');

    // The option set: the rebuild switches to it in place, and the hostname follows.
    await sandbox.write('sysinit/flake.nix', flake('ascalon'));
    const fixed = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(fixed.exitCode).toBe(0);
    expect(
      rows(fixed.stdout)
        .filter((r) => r.status !== 'ok')
        .map((r) => [r.id, r.status]),
    ).toEqual([['nixos.rebuild', 'changed']]);
    expect((await mac.guestState()).hostname).toBe('ascalon');
  });
});
