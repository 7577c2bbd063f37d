import { constants } from 'node:fs';
import path from 'node:path';
import { AscError, type AscErrorCode } from '../errors.ts';
import { copyFile, mkdir, readFile, realpath, unlink } from '../files/fs-promises.ts';
import { withTempFile } from '../files/temp.ts';
import type { AscFiles, AscWriteOptions, AscWriteResult } from '../types.ts';
import { fileError, quotePath } from './file-errors.ts';
import {
  backupLink,
  fileInfo,
  makeDir,
  readLink,
  realPath,
  removeDirWithBackup,
  renameWithBackup,
  symlinkAtomic,
} from './file-ops.ts';

export { describeErrno, quotePath } from './file-errors.ts';

export interface FilesSettings {
  home: string;
  /** `<state>/backups/<run stamp>`: where the old content of every edited file goes. */
  backupDir: string;
}

/** Real file access. Plan mode is this object wrapped by `readOnlyFiles`, which refuses every change. */
export function createFiles(settings: FilesSettings): AscFiles {
  const { backupDir } = settings;
  return {
    read: readText,
    readBytes,
    stat: (file) => fileInfo(file, true),
    lstat: (file) => fileInfo(file, false),
    readlink: readLink,
    realpath: realPath,
    write: (file, content, options) => writeAtomic(file, content, options, backupDir),
    diff: async (file, desired) => {
      const label = displayPath(file, settings.home);
      // Only shown, never written back: bytes that are not UTF-8 may show as U+FFFD here.
      const current = (await readBytes(file))?.toString('utf8');
      if (desired === undefined) {
        return current === undefined ? undefined : unifiedDiff(label, current, '', '/dev/null');
      }
      return unifiedDiff(label, current ?? '', desired);
    },
    remove: (file, options) => removeWithBackup(file, options?.backup === false ? undefined : backupDir),
    backup: async (file) => ((await readBytes(file)) === undefined ? undefined : backupFile(file, backupDir)),
    symlink: (target, link) => symlinkAtomic(target, link, backupDir),
    mkdir: (dir, options) => makeDir(dir, options?.mode),
    rename: (from, to) => renameWithBackup(from, to, (file) => backupFile(file, backupDir)),
    removeDir: (dir) => removeDirWithBackup(dir, backupDir),
  };
}

/**
 * Remove the file after keeping a copy in the backup folder (unless none is given): a regular file's
 * content, a symlink as a link (what is removed is the link: its target stays). A socket or a fifo has
 * no content to keep.
 */
export async function removeWithBackup(file: string, backupDir: string | undefined): Promise<AscWriteResult> {
  const info = await fileInfo(file, false);
  if (!info) return { changed: false };
  let backup: string | undefined;
  if (backupDir !== undefined && info.kind === 'symlink') backup = await backupLink(file, backupDir);
  else if (backupDir !== undefined && info.kind === 'file') backup = await backupFile(file, backupDir);
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

export async function readBytes(file: string): Promise<Buffer | undefined> {
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

export async function backupFile(target: string, backupDir: string): Promise<string> {
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

/** `~/x` → `<home>/x` (and `~` alone → `<home>`): a path from an option, as the user wrote it. */
export function expandHome(file: string, home: string): string {
  return file.replace(/^~(?=\/|$)/, home);
}

/** `~/…` for a path in the home folder, for messages and diff labels; quoted as `quotePath` does. */
export function displayPath(file: string, home: string): string {
  return quotePath(file === home || file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file);
}
