import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFiles } from './files.ts';
import { readOnlyFiles } from './read-only.ts';

describe('removing a file', () => {
  let home: string;
  let backupDir: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'asc-files-'));
    backupDir = path.join(home, 'state', 'backups', 'run');
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('backs the content up first, removes a link but not its target, and is a no-op when gone', async () => {
    const files = createFiles({ home, backupDir });
    const agent = path.join(home, 'io.lima.default.plist');
    await writeFile(agent, '<plist/>\n');
    expect(await files.diff(agent, undefined)).toMatch(
      /^--- ~\/io\.lima\.default\.plist\n\+\+\+ \/dev\/null\n@@ -1,1 \+0,0 @@\n-<plist\/>$/,
    );
    const removed = await files.remove(agent);
    expect(removed.changed).toBe(true);
    expect(existsSync(agent)).toBe(false);
    expect(await readFile(removed.backup!, 'utf8')).toBe('<plist/>\n');
    expect(removed.backup!.startsWith(backupDir)).toBe(true);
    expect(await files.remove(agent)).toEqual({ changed: false });
    expect(await files.diff(agent, undefined)).toBeUndefined();

    const target = path.join(home, 'store-file');
    const link = path.join(home, 'link.plist');
    await writeFile(target, 'managed elsewhere\n');
    await symlink(target, link);
    await files.remove(link);
    await expect(lstat(link)).rejects.toThrow(/ENOENT/);
    expect(await readFile(target, 'utf8')).toBe('managed elsewhere\n');
  });

  it('plan mode refuses, and changes nothing', async () => {
    const file = path.join(home, 'keep');
    await writeFile(file, 'x');
    await expect(readOnlyFiles(createFiles({ home, backupDir })).remove(file)).rejects.toThrow(
      /plan mode: refusing to remove/,
    );
    expect(existsSync(file)).toBe(true);
  });
});

describe('text that is not UTF-8', () => {
  let home: string;
  let backupDir: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'asc-files-'));
    backupDir = path.join(home, 'state', 'backups', 'run');
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('is an error naming the file, line and column of the first bad byte, never U+FFFD text', async () => {
    const file = path.join(home, 'config');
    // Latin-1 "José" on line 2: readFile(…, 'utf8') would give "Jos\uFFFD", and an edit written back would
    // replace the byte for good.
    await writeFile(file, Buffer.from('Host x\n# Jos\xe9\n', 'latin1'));
    const files = createFiles({ home, backupDir });
    await expect(files.read(file)).rejects.toMatchObject({
      code: 'E_FILE',
      message: `${file}:2:6: not UTF-8 text (byte 0xe9 at offset 12)`,
    });
    // UTF-16 with its byte-order mark.
    await writeFile(file, Buffer.from('\ufeffHost x\n', 'utf16le'));
    await expect(files.read(file)).rejects.toThrow(`${file}:1:1: not UTF-8 text (byte 0xff at offset 0)`);
  });

  it('keeps a UTF-8 byte-order mark and multi-byte characters as they are', async () => {
    const file = path.join(home, 'bom');
    await writeFile(file, '\ufeffcafé ✓\n');
    const files = createFiles({ home, backupDir });
    expect(await files.read(file)).toBe('\ufeffcafé ✓\n');
    expect((await files.write(file, '\ufeffcafé ✓\n')).changed).toBe(false);
  });

  it('a binary file can still be replaced whole or removed, its bytes backed up as they were', async () => {
    const files = createFiles({ home, backupDir });
    const binary = Buffer.from([0x62, 0x70, 0x6c, 0x69, 0x73, 0x74, 0x30, 0x30, 0xd1, 0x01, 0x02, 0xff]);
    const plist = path.join(home, 'agent.plist');
    await writeFile(plist, binary);
    expect(await files.diff(plist, '<plist/>\n')).toMatch(/^--- ~\/agent\.plist/);
    const written = await files.write(plist, '<plist/>\n');
    expect(await readFile(written.backup!)).toEqual(binary);
    expect(await readFile(plist, 'utf8')).toBe('<plist/>\n');
    await writeFile(plist, binary);
    const removed = await files.remove(plist);
    expect(existsSync(plist)).toBe(false);
    expect(await readFile(removed.backup!)).toEqual(binary);
  });
});

describe('a path that cannot be read', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'asc-files-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('says why in words, with what to do: a link loop, a folder', async () => {
    const files = createFiles({ home, backupDir: path.join(home, 'b') });
    const loop = path.join(home, 'config');
    await symlink('config', loop);
    await expect(files.read(loop)).rejects.toMatchObject({
      message: `could not read ${loop}: a symbolic link loop (ELOOP)`,
      hint: expect.stringMatching(/the link leads back to itself/),
    });
    await mkdir(path.join(home, 'folder'));
    await expect(files.read(path.join(home, 'folder'))).rejects.toMatchObject({
      message: `could not read ${path.join(home, 'folder')}: it is a folder (EISDIR)`,
      cause: { code: 'EISDIR' },
    });
  });
});
