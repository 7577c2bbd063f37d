import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVmSpec } from '../../src/index.ts';
import { createTestContext, type FakeCommands } from '../../src/testing.ts';
import { DEFAULT_IMAGES } from './images.ts';
import { migratedTask } from './migration.ts';
import { nixosOptions } from './options.ts';

const UBUNTU = 'ID=ubuntu\nPRETTY_NAME="Ubuntu 24.04.2 LTS"\n';

/** A Mac with a running Ubuntu instance whose guest home holds `entries`, and an archive listing `listed`. */
async function ubuntuMac(entries: number, listed: number | 'corrupt', tarExit = 0, confirm = true) {
  const vm = createVmSpec();
  vm.images.push(...DEFAULT_IMAGES);
  const t0 = await createTestContext({ vm });
  const dir = path.join(t0.host.home, '.lima', 'default');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'lima.yaml'), 'base: template:default\n');
  const exec: FakeCommands = ([file, ...args]) => {
    if (file === 'limactl' && args[0] === 'list') {
      return { stdout: JSON.stringify({ name: 'default', status: 'Running', dir }) };
    }
    if (file === 'limactl' && args[0] === '--version') return { stdout: 'limactl version 2.2.0' };
    if (file === 'tar' && args[0] === '-tzf') {
      if (listed === 'corrupt') return { exitCode: 2, stderr: 'gzip: stdin: unexpected end of file' };
      return { stdout: Array.from({ length: listed }, (_, i) => `./f${i}`).join('\n') };
    }
    if (file === 'limactl') return {};
    return undefined;
  };
  const guest: FakeCommands = (argv) => {
    if (argv[0] === 'sh') return { stdout: `${entries}\n` };
    if (argv[0] === 'tar')
      return tarExit
        ? { exitCode: tarExit, stderr: 'tar: ./x: file changed as we read it' }
        : { stdout: 'archive' };
    return undefined;
  };
  const t = await createTestContext({
    home: t0.host.home,
    vm,
    exec,
    guest,
    confirm,
    id: 'nixos.migrated',
    guestFacts: { 'lima.home': '/home/dev.linux', 'nixos.os-release': UBUNTU },
  });
  return t;
}

const task = migratedTask(nixosOptions.parse({ enabled: true }), 'default');

describe('nixos.migrated: never a delete without a verified archive', () => {
  it.each([
    [
      'the archive lists fewer entries than the guest home has',
      7,
      5,
      0,
      /has 5 entries, but \/home\/dev\.linux in the VM has 7/,
    ],
    ['the archive does not list', 7, 'corrupt' as const, 0, /does not list/],
    ['tar fails in the guest', 7, 7, 1, /exit code 1/],
  ])(
    '%s: the task fails, nothing is stopped or deleted, no step is recorded',
    async (_, entries, listed, tarExit, message) => {
      const t = await ubuntuMac(entries, listed, tarExit);
      expect((await task.check(t)).converged).toBe(false);
      await expect(task.apply(t)).rejects.toThrow(message);
      const limactl = t.commands.filter((c) => c.argv[0] === 'limactl').map((c) => c.argv[1]);
      expect(limactl).not.toContain('stop');
      expect(limactl).not.toContain('delete');
      expect(await t.state.get('migration:default')).toBeUndefined();
      // The partial archive is removed: a file named *.tar.gz there is always a verified one.
      expect(readdirSync(path.join(t.host.stateDir, 'nixos'))).toEqual([]);
    },
  );

  it('without a yes, nothing runs at all: no start, no archive, no guest command that writes', async () => {
    const t = await ubuntuMac(7, 7, 0, false);
    await expect(task.apply(t)).rejects.toThrow(/only with --yes or a yes at the terminal/);
    expect(t.commands.filter((c) => c.mutating)).toEqual([]);
    expect(t.guestCommands).toEqual([]);
  });

  it('plan names what is deleted and what is kept where', async () => {
    const t = await ubuntuMac(7, 7);
    const result = await task.check(t.withMode(true));
    expect(result).toMatchObject({ converged: false });
    expect((result as { reason: string }).reason).toMatch(
      /^default runs Ubuntu 24\.04\.2 LTS, not NixOS\. Moving it: archive \/home\/dev\.linux \(7 entries\) to ~\/\.local\/state\/asc\/nixos\/default-home-<time>\.tar\.gz and check it; save lima\.yaml to .*; stop and delete default with its disk \(everything outside the home folder.*\); re-create it from nixos-lima v0\.2\.1; restore the home into the new guest home\. Needs --yes$/,
    );
  });
});
