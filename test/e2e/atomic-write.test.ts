import { spawn } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../harness/sandbox.ts';

const WRITER = path.join(ROOT, 'test/e2e/fixtures/atomic-writer.ts');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'asc-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start the writer; resolve with its first stdout line, and let the test kill it there. */
function startWriter(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { cwd: ROOT });
  let out = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.on('close', (code) => reject(new Error(`writer exited ${code} before a line: ${out}`)));
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, firstLine, closed };
}

const OLD = 'old content\n';

describe('atomic writes', () => {
  it.each(['mid-write', 'before-rename'])(
    'SIGKILL %s leaves the old file whole, never a partial one',
    async (pause) => {
      const target = path.join(dir, 'config.yaml');
      await writeFile(target, OLD);
      await chmod(target, 0o600);
      const writer = startWriter([target, path.join(dir, 'backups'), String(4 * 1024 * 1024), pause]);
      expect(await writer.firstLine).toBe(`paused ${pause}`);
      writer.child.kill('SIGKILL');
      await writer.closed;
      expect(await readFile(target, 'utf8')).toBe(OLD);
      // The interrupted temp file is a sibling, never the target itself.
      const names = await readdir(dir);
      expect(names.filter((n) => n.startsWith('config.yaml.'))).toHaveLength(1);
    },
  );

  it('a finished write replaces the whole file, keeps its mode, writes through a symlink and backs up', async () => {
    const real = path.join(dir, 'dotfiles', 'config');
    await mkdir(path.dirname(real));
    await writeFile(real, OLD);
    await chmod(real, 0o600);
    const link = path.join(dir, 'config');
    await symlink(real, link);
    const backups = path.join(dir, 'backups');
    const writer = startWriter([link, backups, '1000', 'none']);
    expect(await writer.firstLine).toMatch(/^done .*"changed":true/);
    expect(await writer.closed).toBe(0);
    expect(await readFile(real, 'utf8')).toBe(`new:${'n'.repeat(1000)}\n`);
    expect((await stat(real)).mode & 0o777).toBe(0o600);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(backups, real), 'utf8')).toBe(OLD);
  });
});
