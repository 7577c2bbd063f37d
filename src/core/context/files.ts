import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AscError, type AscErrorCode } from '../errors.ts';
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
      // Only shown, never written back: bytes that are not UTF-8 may show as U+FFFD here.
      const current = (await readBytes(file))?.toString('utf8');
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
      return (await readBytes(file)) === undefined ? undefined : backupFile(file, settings.backupDir);
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
  const backup = (await readBytes(file)) === undefined ? undefined : await backupFile(file, backupDir);
  try {
    await unlink(file);
  } catch (error) {
    throw fileError('remove', file, error);
  }
  return backup === undefined ? { changed: true } : { changed: true, backup };
}

/**
 * The file's text, or undefined when there is none. Bytes that are not UTF-8 are an error naming the file,
 * line and column: Node's 'utf8' decoding would turn them into U+FFFD, and an edit written back would then
 * lose them. A byte-order mark is kept, so a file read and written back keeps it too.
 */
export async function readText(file: string): Promise<string | undefined> {
  const bytes = await readBytes(file);
  return bytes === undefined ? undefined : decodeUtf8(bytes, file);
}

async function readBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('read', file, error);
  }
}

/** UTF-8 bytes as text; anything else is an AscError with `file:line:col` of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array, file: string, code: AscErrorCode = 'E_FILE'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // The longest prefix that decodes as a stream (a cut-off character at its end allowed) ends inside
    // or just before the first bad sequence, and every shorter prefix decodes too: a binary search finds
    // it. The bad sequence starts where the prefix last decodes whole (at most 3 bytes back).
    const decodes = (end: number, stream: boolean) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream });
        return true;
      } catch {
        return false;
      }
    };
    let [good, bad] = [0, bytes.length];
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (decodes(mid, true)) good = mid;
      else bad = mid;
    }
    while (good > 0 && !decodes(good, false)) good--;
    const lines = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, good)).split('\n');
    const at = `${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
    const byte = bytes[good] ?? 0;
    throw new AscError(
      `${quotePath(file)}:${at}: not UTF-8 text (byte 0x${byte.toString(16).padStart(2, '0')} at offset ${good})`,
      {
        code,
        hint: 'asc reads and writes UTF-8 only, and left the file as it is: convert it (for Latin-1, `iconv -f latin1 -t utf-8`) and run asc again',
      },
    );
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
  // Compared as bytes: a file that is not UTF-8 (a binary plist) may be replaced whole, after its backup.
  const current = await readBytes(target);
  if (current?.equals(Buffer.from(content, 'utf8'))) return { changed: false };
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
    throw new AscError(`the new ${quotePath(target)} did not validate: ${(error as Error).message}`, {
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

/** `~/…` for a path in the home folder, for messages and diff labels; quoted as `quotePath` does. */
export function displayPath(file: string, home: string): string {
  return quotePath(file === home || file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file);
}

/**
 * A path as a message shows it: as it is, or, with a line break or another control character in it, as a
 * JSON string, so the message stays on one line and the path can be read back from it.
 */
export function quotePath(file: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  return /[\u0000-\u001f\u007f]/.test(file) ? JSON.stringify(file) : file;
}

/** What an errno means for the file, in words, with what to do; Node's message repeats the path. */
const ERRNO: Record<string, { what: string; hint: string }> = {
  EACCES: {
    what: 'permission denied (EACCES)',
    hint: 'asc may not use it: check the mode and owner of the file and its folders (`ls -l`)',
  },
  EPERM: {
    what: 'operation not permitted (EPERM)',
    hint: 'asc may not use it: check the file and folder permissions and flags (`ls -lO` on macOS)',
  },
  EROFS: { what: 'read-only file system (EROFS)', hint: 'asc cannot write there' },
  ELOOP: {
    what: 'a symbolic link loop (ELOOP)',
    hint: 'the link leads back to itself: `ls -l` shows where it points; point it at a real file or remove it',
  },
  EISDIR: {
    what: 'it is a folder (EISDIR)',
    hint: 'asc expects a file at that path: move the folder away',
  },
  ENOTDIR: {
    what: 'a part of the path is a file, not a folder (ENOTDIR)',
    hint: 'check each folder of the path',
  },
  ENOSPC: {
    what: 'no space left on the device (ENOSPC)',
    hint: 'the file was left as it was: free some space, then run asc again',
  },
  EDQUOT: {
    what: 'disk quota exceeded (EDQUOT)',
    hint: 'the file was left as it was: free some space, then run asc again',
  },
};

/** An errno error in words (`a symbolic link loop (ELOOP)`) with what to do, when asc knows it. */
export function describeErrno(error: unknown): { what: string; hint: string } | undefined {
  return ERRNO[(error as NodeJS.ErrnoException | undefined)?.code ?? ''];
}

function fileError(verb: string, file: string, error: unknown): AscError {
  const known = describeErrno(error);
  return new AscError(`could not ${verb} ${quotePath(file)}: ${known?.what ?? (error as Error).message}`, {
    code: 'E_FILE',
    ...(known ? { hint: known.hint } : {}),
    cause: error,
  });
}
