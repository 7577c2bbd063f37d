import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
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
 */
export async function acquireRunLock(
  stateDir: string,
  options: { waitMs: number; command: string; onWait?: (message: string) => void },
): Promise<RunLock> {
  const file = path.join(stateDir, 'run.lock');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
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
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      return { release: () => releaseIfMine(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (!holder || (await isStale(holder, file))) {
      // Remove the stale or unreadable lock; O_EXCL on the next try decides who wins a race.
      await removeLock(file);
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

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as LockHolder;
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
async function isStale(holder: LockHolder, file: string): Promise<boolean> {
  if (holder.pid === -1) {
    const info = await stat(file).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > 5000;
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
  const holder = await readHolder(file).catch(() => undefined);
  if (holder?.pid === process.pid) await removeLock(file);
}

/** The lock file gone, if it was there (unlink: fs.rm would load its recursive remover on every run). */
async function removeLock(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
