import { AscError, type AscTaskContext, lastLine } from '../../src/index.ts';
import { tilde } from './paths.ts';

/** Hours, not minutes: a home folder can hold gigabytes. */
const ARCHIVE_TIMEOUT_MS = 6 * 60 * 60_000;

/**
 * Entries tar archives under a folder: everything `find` sees, the folder itself included, but sockets,
 * which GNU tar skips ("socket ignored"). -printf prints one byte per entry, so names with newlines count once.
 */
const COUNT_ENTRIES = 'cd "$1" && find . ! -type s -printf . | wc -c';

/** How many entries the guest folder holds, counted in the guest. */
export async function countGuestEntries(t: AscTaskContext, folder: string): Promise<number> {
  const { stdout } = await t.guest.query(['sh', '-c', COUNT_ENTRIES, 'sh', folder], {
    timeoutMs: 10 * 60_000,
  });
  const count = Number.parseInt(stdout.trim(), 10);
  if (!Number.isFinite(count) || count < 1) {
    throw new AscError(`could not count the files in ${folder} in the VM (got "${stdout.trim()}")`, {
      code: 'E_GUEST',
    });
  }
  return count;
}

/** Entries in a .tar.gz on the Mac, by listing it: a truncated or corrupt archive fails here. */
export async function countArchiveEntries(t: AscTaskContext, file: string): Promise<number> {
  // GNU tar and bsdtar both print one line per entry, a newline in a name escaped as \n.
  const { stdout } = await t.exec.query('tar', ['-tzf', file], { timeoutMs: ARCHIVE_TIMEOUT_MS });
  return stdout.split('\n').filter((line) => line !== '').length;
}

/**
 * Stream the guest folder as a .tar.gz into a host file (binary-safe, never in memory), list it on the
 * Mac and compare its entries with a count taken in the guest. Throws unless they agree: the caller
 * deletes nothing then. Returns the number of entries.
 */
export async function archiveGuestFolder(t: AscTaskContext, folder: string, file: string): Promise<number> {
  const expected = await countGuestEntries(t, folder);
  // tar exits 1 when a file changed while it was read, 2 on an unreadable one: both fail the archive.
  await t.guest.query(['tar', '-C', folder, '-czf', '-', '.'], {
    stdoutFile: file,
    timeoutMs: ARCHIVE_TIMEOUT_MS,
  });
  const listed = await countArchiveEntries(t, file).catch((error: Error) => {
    throw new AscError(`the archive ${tilde(t, file)} does not list: ${lastLine(error.message)}`, {
      code: 'E_VALIDATE',
      hint: 'nothing was deleted; run asc again to archive anew',
      cause: error,
    });
  });
  if (listed !== expected) {
    throw new AscError(
      `the archive ${tilde(t, file)} has ${listed} entries, but ${folder} in the VM has ${expected}: it is not a whole copy`,
      {
        code: 'E_VALIDATE',
        hint: 'nothing was deleted; stop what writes to the home folder in the VM (or remove what tar cannot read) and run asc again',
      },
    );
  }
  return expected;
}

/**
 * Extract a .tar.gz from the Mac into a guest folder, as the guest user: --no-same-owner makes every
 * file theirs, -p keeps the modes exactly (no umask).
 */
export async function restoreIntoGuest(t: AscTaskContext, file: string, folder: string): Promise<void> {
  await t.guest.run(['tar', '-C', folder, '-xzf', '-', '--no-same-owner', '-p'], {
    stdinFile: file,
    timeoutMs: ARCHIVE_TIMEOUT_MS,
  });
}
