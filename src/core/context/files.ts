import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AscError } from '../errors.ts';
import { withTempFile } from '../files/temp.ts';
import type { AscFiles, AscWriteOptions, AscWriteResult } from '../types.ts';

export interface FilesSettings {
  dryRun: boolean;
  home: string;
  /** `<state>/backups/<run stamp>`: where the old content of every edited file goes. */
  backupDir: string;
}

/** Real file access; in plan mode `write` refuses (checks compute diffs instead). */
export function createFiles(settings: FilesSettings): AscFiles {
  return {
    read: readText,
    write: (file, content, options) => {
      if (settings.dryRun) {
        return Promise.reject(
          new AscError(`plan mode: refusing to write ${file}`, {
            code: 'E_PLAN_WRITE',
            hint: 'a check must only read; write in apply',
          }),
        );
      }
      return writeAtomic(file, content, options, settings.backupDir);
    },
    diff: async (file, desired) => {
      const label = displayPath(file, settings.home);
      const current = await readText(file);
      if (desired === undefined) {
        return current === undefined ? undefined : unifiedDiff(label, current, '', '/dev/null');
      }
      return unifiedDiff(label, current ?? '', desired);
    },
    remove: (file) => {
      if (settings.dryRun) {
        return Promise.reject(
          new AscError(`plan mode: refusing to remove ${file}`, {
            code: 'E_PLAN_WRITE',
            hint: 'a check must only read; remove in apply',
          }),
        );
      }
      return removeWithBackup(file, settings.backupDir);
    },
    backup: async (file) => {
      if (settings.dryRun) {
        throw new AscError(`plan mode: refusing to back up ${file}`, {
          code: 'E_PLAN_WRITE',
          hint: 'a check must only read; back up in apply',
        });
      }
      return (await readText(file)) === undefined ? undefined : backupFile(file, settings.backupDir);
    },
  };
}

/** Copy the file (or the link's target content) to the backup folder, then unlink it. */
export async function removeWithBackup(file: string, backupDir: string): Promise<AscWriteResult> {
  try {
    await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { changed: false };
    throw fileError('remove', file, error);
  }
  const backup = (await readText(file)) === undefined ? undefined : await backupFile(file, backupDir);
  try {
    await unlink(file);
  } catch (error) {
    throw fileError('remove', file, error);
  }
  return backup === undefined ? { changed: true } : { changed: true, backup };
}

export async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('read', file, error);
  }
}

/**
 * Temp file + rename in the target's folder (write-file-atomic, fsync'd), so a crash leaves the old or the
 * new file, never a mix. A symlink is written through to its target and stays a link. The old content is
 * copied to the backup folder first; an existing file keeps its mode and owner.
 */
export async function writeAtomic(
  file: string,
  content: string,
  options: AscWriteOptions = {},
  backupDir: string,
): Promise<AscWriteResult> {
  const target = await realpath(file).catch(() => file);
  const current = await readText(target);
  if (current === content) return { changed: false };
  if (options.validate) await validateCopy(target, content, options.validate);
  let backup: string | undefined;
  if (current !== undefined) backup = await backupFile(target, backupDir);
  try {
    await mkdir(path.dirname(target), { recursive: true });
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(target, content, current === undefined ? { mode: options.mode ?? 0o644 } : {});
  } catch (error) {
    throw fileError('write', target, error);
  }
  return backup === undefined ? { changed: true } : { changed: true, backup };
}

async function validateCopy(target: string, content: string, validate: (tempPath: string) => Promise<void>) {
  try {
    // The base name is kept for validators that look at it.
    await withTempFile(path.basename(target), content, validate);
  } catch (error) {
    if (error instanceof AscError) throw error;
    throw new AscError(`the new ${target} did not validate: ${(error as Error).message}`, {
      code: 'E_VALIDATE',
      hint: 'the file was left as it was',
      cause: error,
    });
  }
}

async function backupFile(target: string, backupDir: string): Promise<string> {
  const backup = path.join(backupDir, target);
  try {
    await mkdir(path.dirname(backup), { recursive: true, mode: 0o700 });
    // The first backup of a run is the original; a second write in the same run keeps it.
    await copyFile(target, backup, constants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw fileError('back up', target, error);
  }
  return backup;
}

/** A unified diff with `~`-relative labels, or undefined when the texts are equal. */
export async function unifiedDiff(
  label: string,
  before: string,
  after: string,
  newLabel = label,
): Promise<string | undefined> {
  if (before === after && newLabel === label) return undefined;
  const { createTwoFilesPatch } = await import('diff');
  const lines = createTwoFilesPatch(label, newLabel, before, after, undefined, undefined, {
    context: 3,
  }).split('\n');
  // Keep the patch from its `---` line: jsdiff puts an `Index:` line and a row of `=` before it.
  return lines
    .slice(lines.findIndex((line) => line.startsWith('--- ')))
    .join('\n')
    .trimEnd();
}

export function displayPath(file: string, home: string): string {
  return file === home || file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
}

function fileError(verb: string, file: string, error: unknown): AscError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'asc may not write there: check the file and folder permissions'
      : undefined;
  return new AscError(`could not ${verb} ${file}: ${(error as Error).message}`, {
    code: 'E_FILE',
    ...(hint ? { hint } : {}),
    cause: error,
  });
}
