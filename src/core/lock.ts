import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { AscError } from './errors.ts';

interface LockHolder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface RunLock {
  release(): Promise<void>;
}

/**
 * One `asc run` at a time per user: a lock file made with O_EXCL holding the holder's pid and start time.
 * A second run polls for `waitMs`, then fails naming the holder. A lock whose process is gone (on this
 * host) is stale and taken over.
 *
 * The file operations are synchronous: each is one system call on a small local file, and every run
 * takes the lock, so `node:fs/promises` (a dozen of Node's own modules) would load for it alone.
 */
export async function acquireRunLock(
  stateDir: string,
  options: { waitMs: number; command: string; onWait?: (message: string) => void },
): Promise<RunLock> {
  const file = path.join(stateDir, 'run.lock');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command: options.command,
  };
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return { release: () => releaseIfMine(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (!holder || isStale(holder, file)) {
      // Remove the stale or unreadable lock; O_EXCL on the next try decides who wins a race.
      removeLock(file);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new AscError(
        `another asc run is in progress: pid ${holder.pid} on ${holder.host}, since ${holder.since} (${holder.command})`,
        {
          code: 'E_LOCKED',
          hint: `wait for it to finish; if that process is gone, remove ${file}`,
        },
      );
    }
    if (!told) {
      options.onWait?.(`waiting for another asc run to finish (pid ${holder.pid}, since ${holder.since})`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    if (typeof holder.pid === 'number') return holder;
    return { pid: -1, host: hostname(), since: 'an unreadable lock file', command: 'unknown' };
  } catch (error) {
    // A lock file being written right now reads empty: treat it as held, not stale.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, host: hostname(), since: 'an unreadable lock file', command: 'unknown' };
  }
}

/**
 * A lock is stale when its process is gone (on this host), or when it is empty or unreadable and older
 * than a few seconds (a run that died between creating and writing it). Another host's lock is never
 * judged from here.
 */
function isStale(holder: LockHolder, file: string): boolean {
  if (holder.pid === -1) {
    try {
      return Date.now() - statSync(file).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function releaseIfMine(file: string): Promise<void> {
  if (readHolder(file)?.pid === process.pid) removeLock(file);
}

/** The lock file gone, if it was there (unlink: fs.rm would load its recursive remover on every run). */
function removeLock(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
