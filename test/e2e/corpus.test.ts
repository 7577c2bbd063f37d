// The bad-input corpus, part two: broken or hostile files outside asc's own config, met on the simulated
// Mac (lima.yaml, ~/.ssh/config, a WezTerm Lua file, a LaunchAgent plist). The config's own errors are in
// config-errors.test.ts. Every case asserts the exit code (1: a task failed on bad input it found), a
// message naming the file (with line:col where there is one) and the thing, no stack trace, and a sandbox
// that is byte-identical before and after. No VM runs: the instance is seeded, so these need no sshd.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { readableCli, SETPRIV, unprivileged, unprivilegedAvailable } from '../harness/unprivileged.ts';
import { createSimulatedMac, type SimulatedMac } from '../sim/index.ts';

const execFileAsync = promisify(execFile);

/** A small tmpfs is a real full disk; mounting one needs root (as the tests run in CI). */
function tmpfsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(path.join(tmpdir(), 'asc-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(dir);
  }
}
const skipTmpfs = skipUnless(tmpfsAvailable(), 'mount -t tmpfs (root)', 'run the tests as root, as CI does');

// Root reads a file of mode 000: the CLI then runs as nobody (see test/harness/unprivileged.ts).
const skipUnprivileged = skipUnless(unprivilegedAvailable(), SETPRIV, 'apt-get install util-linux');

/** A path in a RegExp, as the exact text. */
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function writeBytes(file: string, bytes: Buffer, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes, { mode });
}

describe('bad input outside the config: exit 1, the file and the thing named, nothing changed', () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    // asc's state folder is there, as after any earlier run: a run takes its lock in it and removes it
    // again, so the snapshots compare the whole sandbox, state folder included.
    await mkdir(path.join(sandbox.home, '.local/state/asc'), { recursive: true, mode: 0o700 });
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const sshConfig = () => path.join(sandbox.home, '.ssh/config');
  const include = () => `Include ${path.join(mac.limaHome, 'default', 'ssh.config')}\n`;
  const config = (plugins: string) =>
    sandbox.write('sysinit/.ascrc.yaml', `plugins:\n${plugins.replace(/^/gm, '  ')}\n`);
  /** Every file of the sandbox but the fakes' own call logs, which read-only limactl/launchctl calls append to. */
  const snapshot = async () => {
    const files = await sandbox.snapshot();
    for (const key of files.keys()) {
      if (/(^|\/)(\.fake-limactl-calls|calls)\.log$|^home\/\.lima\/$|^launchd\/$/.test(key))
        files.delete(key);
    }
    return files;
  };

  /** Run asc; it must fail with `exitCode` and `message`, print no stack, and change no file. */
  const refused = async (args: string[], message: RegExp, exitCode = 1) => {
    const before = await snapshot();
    const result = await sandbox.asc(args, { cwd });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toMatch(message);
    expect(output).not.toMatch(/^\s+at .*[:(].*\d+:\d+\)?$/m); // no stack trace
    expect(result.exitCode).toBe(exitCode);
    expect(await snapshot()).toEqual(before);
    return result;
  };

  describe('~/.ssh/config', () => {
    beforeEach(() => config('lima: {}'));

    it('not UTF-8 (a Latin-1 comment): an error at its line and column, never rewritten with U+FFFD', async () => {
      await writeBytes(sshConfig(), Buffer.from('# Jos\xe9 hosts\nHost work\n  User jos\xe9\n', 'latin1'));
      await refused(
        ['run', 'lima.ssh-include'],
        new RegExp(
          `failed: ${esc(sshConfig())}:1:6: not UTF-8 text \\(byte 0xe9 at offset 5\\)[\\s\\S]*hint: asc reads and writes UTF-8 only`,
        ),
      );
    });

    it('an Include inside a Host block: the plan names its line, and the new Include goes before the block', async () => {
      const user = `Host github.com\n  User git\n  ${include()}`;
      await sandbox.write(sshConfig(), user, 0o600);
      const before = await snapshot();
      const plan = await sandbox.asc(['plan', 'lima.ssh-include'], { cwd });
      expect(plan.stdout).toContain(
        `would change: ${include().trim()} is missing (~/.ssh/config line 3 includes ${path.join(mac.limaHome, 'default', 'ssh.config')} inside a Host or Match block, where OpenSSH applies it only to that block)`,
      );
      expect(plan.stdout).toMatch(/\+Include .*\n {4}\+\n {5}Host github\.com\n/);
      expect(plan.exitCode).toBe(3);
      expect(await snapshot()).toEqual(before);

      const run = await sandbox.asc(['run', 'lima.ssh-include'], { cwd });
      expect(run.exitCode).toBe(0);
      const text = await sandbox.read(sshConfig());
      expect(text.indexOf(include())).toBeLessThan(text.indexOf('Host github.com'));
      expect(text.endsWith(user)).toBe(true); // the user's block, its own Include included, as it was
    });

    it.skipIf(skipUnprivileged)(
      'unreadable (mode 000): named with EACCES, as nobody when the tests run as root',
      async () => {
        await sandbox.write(sshConfig(), 'Host work\n  User me\n', 0o000);
        // The user asc runs as must reach the sandbox's folders (a sandbox root is 0700) but not read the file.
        for (const dir of [sandbox.root, sandbox.home, cwd, path.dirname(sshConfig())])
          await chmod(dir, 0o755);
        expect((await sandbox.exec(...unprivileged('cat', [sshConfig()]))).exitCode).not.toBe(0);
        // That user may not append to the fake limactl's call log; the fake then keeps none.
        const env = { FAKE_LIMACTL_NO_LOG: '1' };
        const cli = await readableCli(sandbox);
        // The simulated Mac's limactl runs from the checkout, which that user may not enter (a private
        // parent folder): the one call this plan makes (lima.installed's) is answered as Lima 2.2.0 does.
        const simLimactl = path.join(sandbox.bin, 'limactl.sim');
        await rename(path.join(sandbox.bin, 'limactl'), simLimactl);
        await sandbox.addBin(
          'limactl',
          `#!/bin/sh\n[ "$*" = --version ] && { echo 'limactl version 2.2.0'; exit 0; }\nexec ${JSON.stringify(simLimactl)} "$@"\n`,
        );
        const before = await snapshot();
        const result = await sandbox.exec(
          ...unprivileged(process.execPath, [cli, 'plan', 'lima.ssh-include']),
          {
            cwd,
            env,
          },
        );
        expect(result.stdout).toMatch(
          new RegExp(
            `failed: could not read ${esc(sshConfig())}: permission denied \\(EACCES\\)\\n\\s+hint: asc may not use it: check the mode and owner`,
          ),
        );
        expect(result.exitCode).toBe(1);
        expect(await snapshot()).toEqual(before);
      },
    );

    it('a symbolic link loop (ELOOP)', async () => {
      await mkdir(path.dirname(sshConfig()), { recursive: true });
      await symlink('config', sshConfig());
      await refused(
        ['plan', 'lima.ssh-include'],
        new RegExp(
          `failed: could not read ${esc(sshConfig())}: a symbolic link loop \\(ELOOP\\)\\n\\s+hint: the link leads back to itself`,
        ),
      );
    });

    it.skipIf(skipTmpfs)(
      'a full disk (a small tmpfs): the write fails with ENOSPC and the old file survives whole',
      async () => {
        // A real full file system: ~/.ssh is a tmpfs that a filler file has filled up.
        const dir = path.dirname(sshConfig());
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await execFileAsync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=700', 'tmpfs', dir]);
        try {
          const old = 'Host work\n  User me\n';
          await sandbox.write(sshConfig(), old, 0o600);
          await writeFile(path.join(dir, 'filler'), Buffer.alloc(128 * 1024)).catch(() => undefined);
          expect((await statfs(dir)).bavail).toBe(0);
          // The backup is written first, to asc's state folder (not on the tmpfs): the one change there.
          const backups = path.join(sandbox.home, '.local/state/asc/backups');
          const withoutBackups = async () => {
            const files = await snapshot();
            for (const key of files.keys())
              if (key.startsWith('home/.local/state/asc/backups/')) files.delete(key);
            return files;
          };
          const before = await withoutBackups();
          const result = await sandbox.asc(['run', 'lima.ssh-include'], { cwd });
          expect(result.stdout).toMatch(
            new RegExp(
              `failed: could not write ${esc(sshConfig())}: no space left on the device \\(ENOSPC\\)\\n\\s+hint: the file was left as it was: free some space`,
            ),
          );
          expect(result.exitCode).toBe(1);
          expect(await withoutBackups()).toEqual(before); // the old file whole, no temporary file left
          expect(await sandbox.read(sshConfig())).toBe(old);
          const [run] = await readdir(backups);
          expect(await readFile(path.join(backups, run!, sshConfig()), 'utf8')).toBe(old);
        } finally {
          await execFileAsync('umount', [dir]);
        }
      },
    );

    it('a folder where the file should be', async () => {
      await mkdir(sshConfig(), { recursive: true });
      await refused(
        ['plan', 'lima.ssh-include'],
        new RegExp(`failed: could not read ${esc(sshConfig())}: it is a folder \\(EISDIR\\)`),
      );
    });
  });

  describe('lima.yaml', () => {
    beforeEach(() => config('lima:\n  disk: 100GiB'));

    it('not YAML: an error at its line and column, in one line, the file left as it is', async () => {
      // A flow sequence never closed: what a hand edit of `memory: [4GiB]` can leave.
      await mac.seedInstance('default', 'cpus: 2\nmemory: [4GiB\nmounts: []\n');
      const result = await refused(
        ['plan', 'lima.config'],
        new RegExp(
          `failed: ${esc(mac.instanceDir('default'))}/lima\\.yaml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a \\]\\n\\s+hint: fix it`,
        ),
      );
      expect(result.stdout).not.toContain('^'); // no code frame
    });

    it('an alias where asc must append (mounts: *shared): refused at the key, not edited through the anchor', async () => {
      await config('lima:\n  disk: 100GiB\n  mounts:\n    - location: ~/src');
      await mac.seedInstance(
        'default',
        '# The mounts every VM of mine shares.\nx-mounts: &shared\n  - location: "~"\ncpus: 6\nmemory: 12GiB\nmounts: *shared\n',
      );
      await refused(
        ['plan', 'lima.config'],
        new RegExp(
          `failed: ${esc(mac.instanceDir('default'))}/lima\\.yaml:6:1: cannot append mounts: mounts is an alias of &shared; changing it would change every place that shares it, so edit it by hand\\n\\s+hint: make the change by hand \\(mount ~/src missing\\)`,
        ),
      );
    });

    it('anchors and a merge key elsewhere: the plan edits around them and keeps them', async () => {
      await config('lima:\n  cpus: 4\n  memory: 8GiB\n  disk: 100GiB');
      const yaml =
        'x-small: &small\n  cpus: 2\n  memory: 4GiB\n<<: *small\ndisk: &disk 100GiB\nx-disk-copy: *disk\n';
      await mac.seedInstance('default', yaml);
      const before = await snapshot();
      const plan = await sandbox.asc(['plan', 'lima.config'], { cwd });
      expect(plan.stdout).toMatch(/would change: cpus 2 → 4, memory 4GiB → 8GiB/);
      expect(plan.stdout).toContain(
        ' <<: *small\n     disk: &disk 100GiB\n     x-disk-copy: *disk\n    +cpus: 4\n    +memory: 8GiB',
      );
      expect(plan.exitCode).toBe(3);
      expect(await snapshot()).toEqual(before);
    });

    it('not UTF-8: an error at its line and column, before any edit', async () => {
      await mac.seedInstance('default', 'cpus: 2\n');
      await writeBytes(
        path.join(mac.instanceDir('default'), 'lima.yaml'),
        Buffer.from('# Lima \xe0 la carte\ncpus: 2\n', 'latin1'),
      );
      await refused(
        ['plan', 'lima.config'],
        new RegExp(`failed: ${esc(mac.instanceDir('default'))}/lima\\.yaml:1:8: not UTF-8 text \\(byte 0xe0`),
      );
    });
  });

  describe('a WezTerm Lua file', () => {
    beforeEach(async () => {
      await config('lima:\n  disk: 100GiB\nwezterm:\n  configFile: ~/.config/wezterm/wezterm.lua');
      await sandbox.write(sshConfig(), include(), 0o600);
    });
    const lua = () => path.join(sandbox.home, '.config/wezterm/wezterm.lua');

    it('a path with spaces, quotes, a line break and $(…): named on one line, never given to a shell', async () => {
      await config(
        `lima:\n  disk: 100GiB\nwezterm:\n  configFile: "~/my dir/it's \\"q\\"\\n$(touch pwned).lua"`,
      );
      await refused(
        ['plan', 'wezterm'],
        /failed: plugins\.wezterm\.configFile names "~\/my dir\/it's \\"q\\"\\n\$\(touch pwned\)\.lua", which does not exist\n/,
      );
    });

    it('Lua that does not parse: its line and column, in a plan that writes nothing', async () => {
      await sandbox.write(
        lua(),
        'local wezterm = require("wezterm")\nlocal config = wezterm.config_builder()\nconfig.ssh_domains = {\n  { name = "work",, remote_address = "work" },\n}\nreturn config\n',
      );
      await refused(
        ['plan', 'wezterm'],
        /failed: ~\/\.config\/wezterm\/wezterm\.lua:4:18: not valid Lua \(unexpected ","\); asc left it as it is\n\s+hint: fix line 4/,
      );
    });

    it('not UTF-8 (Latin-1 in a comment): an error at its line and column, the file left as it is', async () => {
      await writeBytes(
        lua(),
        Buffer.from(
          'local wezterm = require("wezterm")\n-- caf\xe9 fonts\nlocal config = wezterm.config_builder()\nreturn config\n',
          'latin1',
        ),
      );
      await refused(
        ['run', 'wezterm'],
        new RegExp(`failed: ${esc(lua())}:2:7: not UTF-8 text \\(byte 0xe9 at offset 41\\)`),
      );
    });
  });

  describe('a LaunchAgent plist', () => {
    it("not a plist (a binary plist cut short): named with the parser's words, kept as it is", async () => {
      await config('lima:\n  disk: 100GiB\nlaunchd:\n  mode: plist');
      await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 100GiB\n');
      const plist = path.join(mac.launchAgents, 'io.lima.default.plist');
      await writeBytes(plist, Buffer.from('bplist00\xd1\x01\x02', 'latin1'));
      await refused(
        ['run', 'launchd.registered'],
        new RegExp(
          `failed: ${esc(plist)} was not written by asc \\(not a property list \\([^)]+\\)\\); asc will not replace it without asking`,
        ),
      );
    });
  });

  describe('a socket path', () => {
    it('docker.hostSocket with a line break, quotes and $(…): shown quoted on one line, never run', async () => {
      await config('lima:\n  disk: 100GiB\ndocker:\n  hostSocket: "~/sock $(touch pwned)\\n\\"x\\".sock"');
      await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 100GiB\n');
      const before = await snapshot();
      const plan = await sandbox.asc(['plan', 'docker.host-socket'], { cwd });
      expect(plan.stdout).toContain(
        'would change: ~/.lima/default/sock/asc-docker.sock is missing, want → "~/sock $(touch pwned)\\n\\"x\\".sock" (plugins.docker.hostSocket)\n',
      );
      expect(plan.exitCode).toBe(3);
      expect(await snapshot()).toEqual(before);
    });
  });
});
