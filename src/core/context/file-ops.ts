import type { Stats } from 'node:fs';
import path from 'node:path';
import { AscError } from '../errors.ts';
import {
  cp,
  lstat,
  mkdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  unlink,
} from '../files/fs-promises.ts';
import type { AscFileInfo, AscWriteResult } from '../types.ts';
import { fileError, quotePath } from './file-errors.ts';

/** Nothing there: the path, or a folder on the way to it, is missing (or a folder is a file). */
const isAbsent = (error: unknown) =>
  ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

function kindOf(info: Stats): AscFileInfo['kind'] {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'folder';
  if (info.isSocket()) return 'socket';
  return 'other';
}

/** `stat` (links followed) or `lstat`; undefined when nothing is there. */
export async function fileInfo(file: string, follow: boolean): Promise<AscFileInfo | undefined> {
  try {
    const info = await (follow ? stat(file) : lstat(file));
    return { kind: kindOf(info), mode: info.mode & 0o7777, size: info.size, uid: info.uid };
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw fileError('look at', file, error);
  }
}

/** The link's target as written in it; undefined when the path is missing or not a link. */
export async function readLink(file: string): Promise<string | undefined> {
  try {
    return await readlink(file);
  } catch (error) {
    if (isAbsent(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw fileError('read the link', file, error);
  }
}

/** Every link resolved; undefined when the path, or what a link on it points at, does not exist. */
export async function realPath(file: string): Promise<string | undefined> {
  try {
    return await realpath(file);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw fileError('resolve', file, error);
  }
}

let besideCount = 0;

/**
 * A name beside `file` for a new entry renamed over it, unique to this call: the process, a counter and
 * a random part, as write-file-atomic names its temporary files (no node:crypto to load at start).
 */
const besideName = (file: string) =>
  path.join(
    path.dirname(file),
    `.${path.basename(file)}.asc-${process.pid}-${++besideCount}-${Math.random().toString(36).slice(2, 8)}`,
  );

/**
 * `file` → `target`, as a new link renamed over the old one: a reader sees the old link or the new one,
 * never none. Only a link is ever replaced; the old one is kept, as a link, in the backup folder.
 */
export async function symlinkAtomic(
  target: string,
  file: string,
  backupDir: string,
): Promise<AscWriteResult> {
  const now = await fileInfo(file, false);
  if (now && now.kind !== 'symlink') {
    throw new AscError(`${quotePath(file)} exists and is not a symlink; asc will not replace it`, {
      code: 'E_REFUSED',
      hint: `move it away; asc keeps a link there to ${quotePath(target)}`,
    });
  }
  const old = now ? await readLink(file) : undefined;
  if (old === target) return { changed: false };
  const backup = old === undefined ? undefined : await backupLink(file, backupDir);
  const temp = besideName(file);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await symlink(target, temp);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw fileError('link', file, error);
  }
  return backup === undefined ? { changed: true } : { changed: true, backup };
}

/** Keep a symlink, as a link, in the backup folder; the first backup of a run is the original. */
export async function backupLink(file: string, backupDir: string): Promise<string> {
  const backup = path.join(backupDir, file);
  try {
    const old = await readlink(file);
    await mkdir(path.dirname(backup), { recursive: true, mode: 0o700 });
    await symlink(old, backup).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw fileError('back up', file, error);
  }
  return backup;
}

/** The folder and its parents; `changed` false when it was there. */
export async function makeDir(dir: string, mode = 0o755): Promise<AscWriteResult> {
  const now = await fileInfo(dir, true);
  if (now?.kind === 'folder') return { changed: false };
  try {
    await mkdir(dir, { recursive: true, mode });
  } catch (error) {
    throw fileError('create the folder', dir, error);
  }
  return { changed: true };
}

/** rename(2), after backing up a file it replaces. */
export async function renameWithBackup(
  from: string,
  to: string,
  backupFile: (file: string) => Promise<string>,
): Promise<AscWriteResult> {
  if (!(await fileInfo(from, false))) {
    throw new AscError(`could not move ${quotePath(from)}: it does not exist`, { code: 'E_FILE' });
  }
  const there = await fileInfo(to, false);
  if (there?.kind === 'folder') {
    throw new AscError(`could not move ${quotePath(from)} to ${quotePath(to)}: a folder is there`, {
      code: 'E_FILE',
      hint: 'move the folder away',
    });
  }
  const backup = there?.kind === 'file' ? await backupFile(to) : undefined;
  try {
    await rename(from, to);
  } catch (error) {
    throw fileError(`move ${quotePath(from)} to`, to, error);
  }
  return backup === undefined ? { changed: true } : { changed: true, backup };
}

/** The folder and what is in it, copied to the backup folder first (links as links). */
export async function removeDirWithBackup(dir: string, backupDir: string): Promise<AscWriteResult> {
  const now = await fileInfo(dir, false);
  if (!now) return { changed: false };
  if (now.kind !== 'folder') {
    throw new AscError(`could not remove the folder ${quotePath(dir)}: it is a ${now.kind}, not a folder`, {
      code: 'E_FILE',
    });
  }
  const backup = path.join(backupDir, dir);
  try {
    await mkdir(path.dirname(backup), { recursive: true, mode: 0o700 });
    await cp(dir, backup, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      force: false,
      // A socket or a fifo has no content to keep, and cannot be copied.
      filter: async (entry) => {
        const info = await lstat(entry);
        return !info.isSocket() && !info.isFIFO();
      },
    });
  } catch (error) {
    throw fileError('back up', dir, error);
  }
  try {
    await rm(dir, { recursive: true });
  } catch (error) {
    throw fileError('remove', dir, error);
  }
  return { changed: true, backup };
}
