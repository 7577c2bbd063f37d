import path from 'node:path';
import { displayPath } from '../context/files.ts';
import { AscError } from '../errors.ts';
import { fileStamp } from '../state.ts';
import { lastLine } from '../text.ts';
import type { AscTaskContext } from '../types.ts';
import {
  PARTIAL,
  privateFile,
  privateFolder,
  removeArchives,
  renameArchive,
  sweepPartialArchives,
} from './folder.ts';

/** Hours, not minutes: a home folder can hold gigabytes. */
const ARCHIVE_TIMEOUT_MS = 6 * 60 * 60_000;

/**
 * Entries tar archives under a folder: everything `find` sees, the folder itself included, but sockets,
 * which GNU tar skips ("socket ignored"), and what the excludes prune. -printf prints one byte per entry,
 * so names with newlines count once. The find expression comes as arguments, never spliced into the line.
 */
const COUNT_ENTRIES = 'cd "$1" && shift && find . "$@" | wc -c';

/**
 * Excludes are paths under the folder, `~/` or not, with shell wildcards (`*` also matches `/`). tar and
 * find read them alike: tar with --anchored --wildcards (member names are `./…`), find with -path.
 */
export function excludePatterns(excludes: readonly string[]): string[] {
  return excludes.map((e) => `./${e.replace(/^~\//, '').replace(/^\.\//, '').replace(/\/+$/, '')}`);
}

function findExpression(excludes: readonly string[]): string[] {
  const patterns = excludePatterns(excludes);
  const counted = ['!', '-type', 's', '-printf', '.'];
  if (patterns.length === 0) return counted;
  const pruned = patterns.flatMap((p, i) => (i === 0 ? ['-path', p] : ['-o', '-path', p]));
  return ['(', ...pruned, ')', '-prune', '-o', ...counted];
}

/** How many entries tar will archive of the guest folder, counted in the guest. */
export async function countGuestEntries(
  t: AscTaskContext,
  folder: string,
  excludes: readonly string[] = [],
): Promise<number> {
  const { stdout } = await t.guest.query(
    ['sh', '-c', COUNT_ENTRIES, 'sh', folder, ...findExpression(excludes)],
    {
      timeoutMs: 10 * 60_000,
    },
  );
  const count = Number.parseInt(stdout.trim(), 10);
  if (!Number.isFinite(count) || count < 1) {
    throw new AscError(`could not count the files in ${folder} in the VM (got "${stdout.trim()}")`, {
      code: 'E_GUEST',
    });
  }
  return count;
}

/**
 * Entries in a .tar.gz on the Mac, by listing it: the whole file is read and gunzipped (its CRC checked),
 * so a truncated or corrupt archive fails here. GNU tar and bsdtar both print one line per entry, a
 * newline in a name escaped as \n, and both read GNU sparse members.
 */
export async function countArchiveEntries(t: AscTaskContext, file: string): Promise<number> {
  const { stdout } = await t.exec.query('tar', ['-tzf', file], { timeoutMs: ARCHIVE_TIMEOUT_MS });
  return stdout.split('\n').filter((line) => line !== '').length;
}

export interface ArchiveRequest {
  /** The guest folder (a home). */
  folder: string;
  /** The Mac folder the archive goes to; made 0700. */
  dir: string;
  /** The name's start: the archive is `<prefix>-<fileStamp>.tar.gz`. */
  prefix: string;
  /** Paths under the folder left out (see `excludePatterns`). */
  excludes?: readonly string[];
  /** Bytes received so far, as the stream arrives. */
  progress?: (bytes: number) => void;
}

export interface ArchiveMade {
  file: string;
  entries: number;
  /** Partial archives of killed runs that were removed first. */
  swept: string[];
}

/**
 * Stream the guest folder as a .tar.gz straight into a private file on the Mac (binary-safe, never in
 * memory, never a copy on the VM's disk), list it on the Mac, and compare its entries with a count taken
 * in the guest. Only then does `<name>.part` become `<name>`: a file without `.part` is always a whole,
 * verified archive. Throws otherwise, leaving nothing behind. First removes what killed runs left.
 *
 * GNU tar's -S keeps holes: a sparse file (a disk image in the home) is stored as its data and a map, and
 * GNU tar re-creates the holes when it extracts (restoreIntoGuest), so it comes back sparse.
 */
export async function archiveGuestFolder(t: AscTaskContext, request: ArchiveRequest): Promise<ArchiveMade> {
  const { folder, dir, prefix, excludes = [] } = request;
  await privateFolder(t, dir);
  const swept = await sweepPartialArchives(t, dir, prefix);
  const file = path.join(dir, `${prefix}-${fileStamp()}.tar.gz`);
  const partial = file.replace(/\.tar\.gz$/, PARTIAL);
  const shown = displayPath(file, t.host.home);
  const expected = await countGuestEntries(t, folder, excludes);
  await privateFile(t, partial);
  try {
    const exclude = excludes.length
      ? ['--anchored', '--wildcards', ...excludePatterns(excludes).map((p) => `--exclude=${p}`)]
      : [];
    // tar exits 1 when a file changed while it was read, 2 on an unreadable one: both fail the archive.
    await t.guest.query(['tar', '-C', folder, '-cSzf', '-', ...exclude, '.'], {
      stdoutFile: partial,
      timeoutMs: ARCHIVE_TIMEOUT_MS,
      ...(request.progress ? { progress: request.progress } : {}),
    });
    const listed = await countArchiveEntries(t, partial).catch((error: Error) => {
      throw new AscError(`the archive ${shown} does not list: ${lastLine(error.message)}`, {
        code: 'E_VALIDATE',
        hint: 'nothing was deleted; run asc again to archive anew',
        cause: error,
      });
    });
    if (listed !== expected) {
      throw new AscError(
        `the archive ${shown} has ${listed} entries, but ${folder} in the VM has ${expected}: it is not a whole copy`,
        {
          code: 'E_VALIDATE',
          hint: 'nothing was deleted; stop what writes to the home folder in the VM (or remove what tar cannot read) and run asc again',
        },
      );
    }
  } catch (error) {
    await removeArchives(t, [partial]);
    throw error;
  }
  await renameArchive(t, partial, file);
  return { file, entries: expected, swept };
}

/**
 * Extract a .tar.gz from the Mac into a guest folder, as the guest user: --no-same-owner makes every
 * file theirs, -p keeps the modes exactly (no umask). GNU tar writes a sparse member's holes as holes.
 */
export async function restoreIntoGuest(t: AscTaskContext, file: string, folder: string): Promise<void> {
  await t.guest.run(['tar', '-C', folder, '-xzf', '-', '--no-same-owner', '-p'], {
    stdinFile: file,
    timeoutMs: ARCHIVE_TIMEOUT_MS,
  });
}
