import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFiles } from './files.ts';

describe('removing a file', () => {
  let home: string;
  let backupDir: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'asc-files-'));
    backupDir = path.join(home, 'state', 'backups', 'run');
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('backs the content up first, removes a link but not its target, and is a no-op when gone', async () => {
    const files = createFiles({ dryRun: false, home, backupDir });
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
    await expect(createFiles({ dryRun: true, home, backupDir }).remove(file)).rejects.toThrow(
      /plan mode: refusing to remove/,
    );
    expect(existsSync(file)).toBe(true);
  });
});
