import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AscFiles } from '../types.ts';
import { createFiles } from './files.ts';
import { readOnlyFiles } from './read-only.ts';

let home: string;
let backupDir: string;
let files: AscFiles;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'asc-fileops-'));
  backupDir = path.join(home, 'state', 'backups', 'run');
  files = createFiles({ home, backupDir });
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe('looking at a path', () => {
  it('tells a file, a folder, a link and nothing apart, with and without following links', async () => {
    const file = path.join(home, 'limactl');
    await writeFile(file, '#!/bin/sh\n', { mode: 0o755 });
    await symlink(file, path.join(home, 'link'));
    await symlink(path.join(home, 'gone'), path.join(home, 'dangling'));
    expect(await files.stat(file)).toMatchObject({ kind: 'file', mode: 0o755, size: 10 });
    expect(await files.stat(home)).toMatchObject({ kind: 'folder' });
    expect(await files.stat(path.join(home, 'link'))).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(await files.lstat(path.join(home, 'link'))).toMatchObject({ kind: 'symlink' });
    expect(await files.readlink(path.join(home, 'link'))).toBe(file);
    expect(await files.readlink(file)).toBeUndefined();
    expect(await files.realpath(path.join(home, 'link'))).toBe(
      await import('node:fs/promises').then((f) => f.realpath(file)),
    );
    // A dangling link is there for lstat and readlink, and leads nowhere for stat and realpath.
    expect(await files.lstat(path.join(home, 'dangling'))).toMatchObject({ kind: 'symlink' });
    expect(await files.stat(path.join(home, 'dangling'))).toBeUndefined();
    expect(await files.realpath(path.join(home, 'dangling'))).toBeUndefined();
    expect(await files.stat(path.join(file, 'below-a-file'))).toBeUndefined();
    expect(Buffer.from((await files.readBytes(file))!).toString()).toBe('#!/bin/sh\n');
    expect(await files.readBytes(path.join(home, 'none'))).toBeUndefined();
  });
});

describe('changing the file system', () => {
  it('symlink makes its folder, replaces only a link, atomically, and keeps the old link as a backup', async () => {
    const link = path.join(home, 'lima', 'default', 'sock', 'asc-docker.sock');
    expect(await files.symlink('/one.sock', link)).toEqual({ changed: true });
    expect(await readlink(link)).toBe('/one.sock');
    expect(await files.symlink('/one.sock', link)).toEqual({ changed: false });
    const replaced = await files.symlink('/two.sock', link);
    expect(replaced).toEqual({ changed: true, backup: path.join(backupDir, link) });
    expect(await readlink(link)).toBe('/two.sock');
    expect(await readlink(replaced.backup!)).toBe('/one.sock');
    // No temporary link is left beside it.
    expect(await import('node:fs/promises').then((f) => f.readdir(path.dirname(link)))).toEqual([
      'asc-docker.sock',
    ]);

    const file = path.join(home, 'real-file');
    await writeFile(file, 'mine\n');
    await expect(files.symlink('/x', file)).rejects.toMatchObject({
      code: 'E_REFUSED',
      message: `${file} exists and is not a symlink; asc will not replace it`,
    });
    expect(await readFile(file, 'utf8')).toBe('mine\n');
  });

  it('mkdir makes the folder and its parents with the mode asked, once', async () => {
    const dir = path.join(home, 'state', 'nixos', 'archives');
    expect(await files.mkdir(dir, { mode: 0o700 })).toEqual({ changed: true });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await files.mkdir(dir)).toEqual({ changed: false });
    await writeFile(path.join(home, 'plain'), '');
    await expect(files.mkdir(path.join(home, 'plain', 'sub'))).rejects.toThrow(
      /could not create the folder .*plain\/sub: a part of the path is a file/,
    );
  });

  it('rename moves in one step and backs up a file it replaces', async () => {
    const [from, to] = [path.join(home, 'a.tar.gz.part'), path.join(home, 'a.tar.gz')];
    await writeFile(from, 'new');
    expect(await files.rename(from, to)).toEqual({ changed: true });
    expect(existsSync(from)).toBe(false);
    await writeFile(from, 'newer');
    const { backup } = await files.rename(from, to);
    expect(await readFile(to, 'utf8')).toBe('newer');
    expect(await readFile(backup!, 'utf8')).toBe('new');
    await expect(files.rename(from, to)).rejects.toThrow(`could not move ${from}: it does not exist`);
  });

  it('removeDir copies the folder to the backups (links as links), then removes it', async () => {
    const dir = path.join(home, 'cfg');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'sub', 'a.lua'), 'return {}\n');
    await symlink('/nix/store/x', path.join(dir, 'link'));
    const removed = await files.removeDir(dir);
    expect(removed).toEqual({ changed: true, backup: path.join(backupDir, dir) });
    expect(existsSync(dir)).toBe(false);
    expect(await readFile(path.join(removed.backup!, 'sub', 'a.lua'), 'utf8')).toBe('return {}\n');
    expect(await readlink(path.join(removed.backup!, 'link'))).toBe('/nix/store/x');
    expect(await files.removeDir(dir)).toEqual({ changed: false });
    await writeFile(dir, '');
    await expect(files.removeDir(dir)).rejects.toThrow(/it is a file, not a folder/);
  });

  it('remove keeps a link as a link (its target, a socket even, untouched), and a file as its content', async () => {
    const socket = path.join(home, 'docker.sock');
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const link = path.join(home, 'sock', 'asc-docker.sock');
    await files.symlink(socket, link);
    const removed = await files.remove(link);
    expect(removed).toEqual({ changed: true, backup: path.join(backupDir, link) });
    expect(await readlink(removed.backup!)).toBe(socket);
    expect(existsSync(link)).toBe(false);
    expect((await lstat(socket)).isSocket()).toBe(true);
    await new Promise((resolve) => server.close(resolve));
  });

  it('remove without a backup, for a file the apply made itself', async () => {
    const part = path.join(home, 'home.tar.gz.part');
    await writeFile(part, 'half');
    expect(await files.remove(part, { backup: false })).toEqual({ changed: true });
    expect(existsSync(backupDir)).toBe(false);
  });
});

describe('plan mode', () => {
  it('refuses every change, names the path, and leaves the file system as it was', async () => {
    const plan = readOnlyFiles(files);
    const file = path.join(home, 'f');
    await writeFile(file, 'x');
    const link = path.join(home, 'l');
    await symlink(file, link);
    const refused: [string, Promise<unknown>][] = [
      ['write', plan.write(file, 'y')],
      ['remove', plan.remove(file)],
      ['back up', plan.backup(file)],
      ['link', plan.symlink('/elsewhere', link)],
      ['create the folder', plan.mkdir(path.join(home, 'new'))],
      ['move', plan.rename(file, path.join(home, 'g'))],
      ['remove the folder', plan.removeDir(home)],
    ];
    for (const [verb, promise] of refused) {
      await expect(promise).rejects.toMatchObject({
        code: 'E_PLAN_WRITE',
        message: expect.stringMatching(new RegExp(`^plan mode: refusing to ${verb} ${home}(/|$)`)),
        hint: `a check must only read; ${verb} in apply`,
      });
    }
    expect(await readFile(file, 'utf8')).toBe('x');
    expect(await readlink(link)).toBe(file);
    expect(existsSync(path.join(home, 'new'))).toBe(false);
    expect(existsSync(backupDir)).toBe(false);
    // Looking works as in a run.
    expect(await plan.read(file)).toBe('x');
    expect(await plan.lstat(link)).toMatchObject({ kind: 'symlink' });
    expect(await plan.readlink(link)).toBe(file);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});
