// `asc backup` and `asc restore` on a simulated Mac: the guest home streamed to the Mac as a verified
// .tar.gz, and put back into a fresh VM whose home has another name (.linux → .guest).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
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
import * as plist from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable, until } from '../sim/index.ts';

const noSshd = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

const LIMA_YAML = 'base: template:default\ncpus: 4\nmemory: 4GiB\n';
const SPARSE_SIZE = 100 * 1024 * 1024;
const SLOW = { timeout: 180_000 };

/** Every entry under `root`: type, mode, and content hash, link target or allocated size, by relative path. */
async function manifest(root: string, skip: (relative: string) => boolean = () => false) {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const file = path.join(dir, name);
      const relative = path.relative(root, file);
      if (skip(relative)) continue;
      const info = await lstat(file);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) out[relative] = `link ${mode} -> ${await readlink(file)}`;
      else if (info.isDirectory()) {
        out[relative] = `dir ${mode}`;
        await walk(file);
      } else {
        const hash = createHash('sha256')
          .update(await readFile(file))
          .digest('hex')
          .slice(0, 16);
        const sparse = info.blocks * 512 < info.size ? ' sparse' : '';
        out[relative] = `file ${mode} ${info.size} ${hash}${sparse}`;
      }
    }
  };
  await walk(root);
  return out;
}

describe.skipIf(noSshd).sequential('asc backup and asc restore on a simulated Mac', SLOW, () => {
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

  const folder = () => path.join(sandbox.home, '.local', 'state', 'asc', 'home-backups');
  const names = async () => (await readdir(folder()).catch(() => [] as string[])).sort();
  const archives = async () => (await names()).filter((f) => /^default-home-.*\.tar\.gz$/.test(f));
  const config = (backup = '{}') =>
    sandbox.write('.ascrc.yaml', `plugins:\n  lima: {}\n  backup: ${backup}\n`);

  /** A running VM made by Lima 2.0 (home /home/<u>.linux), its home holding what is hard to copy. */
  async function oddHome(): Promise<string> {
    await mac.seedInstance('default', LIMA_YAML, { running: true, limaVersion: '2.0.3' });
    const home = await mac.guestHome('default');
    expect(home.endsWith('.linux')).toBe(true);
    const put = async (name: string, bytes: Buffer | string, mode = 0o644) => {
      await mkdir(path.dirname(path.join(home, name)), { recursive: true });
      await writeFile(path.join(home, name), bytes);
      await chmod(path.join(home, name), mode);
    };
    await put('notes/with space.txt', 'a space\n');
    await put('notes/new\nline.txt', Buffer.from([0, 1, 2, 255, 10]), 0o640);
    await put('.ssh/id_ed25519', 'secret key\n', 0o600);
    await put('unreadable', 'nobody may read this\n', 0o000);
    await put('.cache/pip/huge', 'left out by default\n');
    // A 100 MiB disk image: 4 KiB of data at its end, the rest a hole.
    await put('vm.img', '');
    await sandbox.exec('truncate', ['-s', String(SPARSE_SIZE - 4096), path.join(home, 'vm.img')]);
    await appendFile(path.join(home, 'vm.img'), Buffer.alloc(4096, 7));
    await symlink('loop-b', path.join(home, 'loop-a'));
    await symlink('loop-a', path.join(home, 'loop-b'));
    return home;
  }

  it('a home with odd names, a sparse image, a symlink loop and a mode-000 file restores byte-identical into a fresh VM (.linux → .guest)', async () => {
    const old = await oddHome();
    // The folder existed already, open to all: asc closes it.
    await mkdir(folder(), { recursive: true });
    await chmod(folder(), 0o755);
    await config();
    const before = await manifest(old, (relative) => relative === '.cache' || relative.startsWith('.cache/'));
    expect(before['vm.img']).toMatch(/ sparse$/);

    const made = await sandbox.asc(['backup']);
    expect(made.stderr).not.toMatch(/error|asc:/);
    expect(made.exitCode).toBe(0);
    expect(made.stdout).toMatch(
      /^backup: ~\/\.local\/state\/asc\/home-backups\/default-home-[\dT-]+Z\.tar\.gz: \d+ entries of .*\.linux, [\d.]+ \w+, verified$/m,
    );
    const [archive] = await archives();
    expect(archive).toBeDefined();
    expect((await stat(folder())).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(folder(), archive ?? ''))).mode & 0o777).toBe(0o600);
    // The excludes left .cache out; the image is stored sparse (far smaller than 100 MiB of zeros gzip to).
    const listing = await sandbox.exec('tar', ['-tzvf', path.join(folder(), archive ?? '')]);
    expect(listing.stdout).not.toContain('.cache');
    expect(listing.stdout).toContain('./notes/new\\nline.txt');
    // Streamed, never through a copy on the VM's disk: only the tar that writes to stdout ran in the guest.
    const shells = (await mac.callLog()).filter((argv) => argv[0] === 'shell');
    expect(shells.some((argv) => argv.includes('-cSzf') && argv[argv.indexOf('-cSzf') + 1] === '-')).toBe(
      true,
    );

    const list = await sandbox.asc(['backup', '--list']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^~/\\.local/state/asc/home-backups/${archive?.replaceAll('.', '\\.')} +[\\d.]+ \\w+ +\\d+ min ago$`,
        'm',
      ),
    );
    expect(list.stdout).toMatch(/^1 archive\(s\), /m);

    // A fresh VM, made by Lima 2.2: its home is .guest, and holds a file of its own.
    expect((await mac.limactl(['stop', 'default'])).exitCode).toBe(0);
    expect((await mac.limactl(['delete', 'default'])).exitCode).toBe(0);
    await mac.seedInstance('default', LIMA_YAML, { running: true });
    const fresh = await mac.guestHome('default');
    expect(fresh.endsWith('.guest')).toBe(true);
    await writeFile(path.join(fresh, 'notes.txt'), 'made in the new VM\n');
    await writeFile(path.join(fresh, 'unreadable'), 'replaced by the restore\n');

    const restored = await sandbox.asc(['restore', '--yes']);
    expect(restored.exitCode).toBe(0);
    expect(restored.stdout).toMatch(
      /^restore: \d+ entries of default-home-.*\.tar\.gz restored into .*\.guest; what was there is in ~\/\.local\/state\/asc\/home-backups\/default-before-restore-.*\.tar\.gz$/m,
    );
    const after = await manifest(fresh, (relative) => relative === 'notes.txt');
    // The home's own folder mode and every entry below it, byte for byte, the hole included.
    expect(after).toEqual(before);
    expect(await readFile(path.join(fresh, 'notes.txt'), 'utf8')).toBe('made in the new VM\n');

    // What the restore replaced was archived first: the new VM's own files are in that archive.
    const replaced = (await names()).find((f) => f.startsWith('default-before-restore-'));
    const kept = await sandbox.exec('tar', ['-xzOf', path.join(folder(), replaced ?? ''), './unreadable']);
    expect(kept.stdout).toBe('replaced by the restore\n');
  });

  it('a backup killed midway leaves no archive that counts; the next one sweeps the debris', async () => {
    await oddHome();
    await config();
    // A fault in the guest: tar streams the whole archive, then hangs while the flag file exists.
    const flag = path.join(sandbox.root, 'hang-tar');
    const tools = path.join(sandbox.root, 'guest-faults');
    await sandbox.write(
      path.join(tools, 'tar'),
      `#!/bin/sh\n/usr/bin/tar "$@"\nstatus=$?\nif [ -e ${flag} ]; then : > ${flag}.reached; while [ -e ${flag} ]; do sleep 1; done; fi\nexit $status\n`,
      0o755,
    );
    await sandbox.write(flag, '');
    await sandbox.write(path.join(await mac.guestHome('default'), '.profile'), `PATH=${tools}:$PATH\n`);

    const killed = sandbox.start(['backup']);
    await until(() => existsSync(`${flag}.reached`), 'the guest tar to finish streaming', 60_000);
    killed.signal('SIGKILL');
    await killed.result;
    await rm(flag);
    expect((await names()).filter((f) => f.endsWith('.tar.gz.part'))).toHaveLength(1);
    expect(await archives()).toEqual([]);
    expect((await sandbox.asc(['backup', '--list'])).stdout).toMatch(
      /^no backups yet in ~\/\.local\/state\/asc\/home-backups/,
    );
    const plan = await sandbox.asc(['plan', 'backup.folder']);
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toMatch(/1 partial archive\(s\) of an interrupted backup/);

    const again = await sandbox.asc(['backup']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/removed 1 partial archive\(s\) an interrupted backup left/);
    expect((await names()).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(await archives()).toHaveLength(1);
    expect((await sandbox.asc(['plan', 'backup.folder'])).exitCode).toBe(0);
  });

  it('retention keeps exactly the newest N; doctor reports them against the schedule', async () => {
    await mac.seedInstance('default', LIMA_YAML, { running: true });
    await writeFile(path.join(await mac.guestHome('default'), 'a.txt'), 'a\n');
    await config('{ keep: 2, schedule: daily }');
    const doctorBefore = await sandbox.asc(['doctor']);
    expect(doctorBefore.stdout).toMatch(
      /⚠ backup\.archives +no backup yet in ~\/\.local\/state\/asc\/home-backups, older than a daily schedule allows\n +fix: asc backup/,
    );
    const taken: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await sandbox.asc(['backup']);
      expect(run.exitCode).toBe(0);
      taken.push(/default-home-[\dT-]+Z\.tar\.gz/.exec(run.stdout)?.[0] ?? '');
    }
    expect(await archives()).toEqual(taken.slice(1).sort());
    const doctor = await sandbox.asc(['doctor']);
    expect(doctor.stdout).toMatch(
      /✔ backup\.archives +2 backup\(s\), [\d.]+ \w+, in ~\/\.local\/state\/asc\/home-backups; the newest is 0 min old \(schedule: daily\)/,
    );
  });

  it('restore refuses on a stopped VM, and without --yes where nobody can answer, changing nothing', async () => {
    await mac.seedInstance('default', LIMA_YAML, { running: true });
    const home = await mac.guestHome('default');
    await writeFile(path.join(home, 'a.txt'), 'a\n');
    await config();
    expect((await sandbox.asc(['backup'])).exitCode).toBe(0);
    await writeFile(path.join(home, 'a.txt'), 'changed since\n');

    const unasked = await sandbox.asc(['restore']);
    expect(unasked.exitCode).toBe(1);
    expect(unasked.stderr).toMatch(
      /asc restore replaces files in the guest home: it does that only with --yes/,
    );
    expect(await readFile(path.join(home, 'a.txt'), 'utf8')).toBe('changed since\n');

    expect((await mac.limactl(['stop', 'default'])).exitCode).toBe(0);
    const files = await names();
    const stopped = await sandbox.asc(['restore', '--yes']);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stderr).toMatch(
      /VM default is Stopped: asc can only restore into the guest home of a running VM/,
    );
    expect(stopped.stderr).toMatch(/limactl start default/);
    expect(await names()).toEqual(files);
    expect(await readFile(path.join(home, 'a.txt'), 'utf8')).toBe('changed since\n');
    expect((await sandbox.asc(['backup'])).exitCode).toBe(1);
  });

  it('schedule: daily is a LaunchAgent the launchd plugin registers; fired, it takes a verified backup; uninstall removes it', async () => {
    await mac.seedInstance('default', LIMA_YAML, { running: true });
    await writeFile(path.join(await mac.guestHome('default'), 'a.txt'), 'a\n');
    await sandbox.write(
      '.ascrc.yaml',
      'plugins:\n  lima: {}\n  launchd: {}\n  backup: { schedule: daily }\n',
    );
    const label = 'io.ascalon.default.backup.schedule';
    const file = path.join(mac.launchAgents, `${label}.plist`);

    const run = await sandbox.asc(['run', 'launchd']);
    expect(run.stdout).toMatch(/\(launchd\.agents\): changed/);
    const lint = await sandbox.exec('plutil', ['-lint', file]);
    expect([lint.exitCode, lint.stdout]).toEqual([0, `${file}: OK\n`]);
    const job = plist.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(job.StartCalendarInterval).toEqual([{ Hour: 12, Minute: 0 }]);
    expect((job.ProgramArguments as string[]).slice(-2)).toEqual(['backup', '--unattended']);

    expect(await mac.launchd.fire(label)).toMatchObject({ fired: true, exitCode: 0 });
    expect(await archives()).toHaveLength(1);
    const log = await readFile(job.StandardOutPath as string, 'utf8');
    expect(log).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z backup: ~\/\.local\/state\/asc\/home-backups\/default-home-.*, verified$/m,
    );
    expect((await sandbox.asc(['doctor'])).stdout).toMatch(
      /✔ backup\.archives +1 backup\(s\).*\(schedule: daily\)/,
    );

    const undo = await sandbox.asc(['uninstall', '--yes']);
    expect(undo.exitCode).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(undo.stdout).toContain("the backups of the guest home, in asc's state folder (home-backups/)");
    expect(await archives()).toHaveLength(1);
  });
});
