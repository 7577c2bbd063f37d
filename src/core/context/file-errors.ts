import { AscError } from '../errors.ts';

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
  EXDEV: {
    what: 'the two paths are on different volumes (EXDEV)',
    hint: 'a rename moves a file within one volume: keep both paths on the same one',
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

export function fileError(verb: string, file: string, error: unknown): AscError {
  const known = describeErrno(error);
  return new AscError(`could not ${verb} ${quotePath(file)}: ${known?.what ?? (error as Error).message}`, {
    code: 'E_FILE',
    ...(known ? { hint: known.hint } : {}),
    cause: error,
  });
}
