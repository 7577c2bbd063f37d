import { lstatSync, mkdirSync } from 'node:fs';

/**
 * A folder asc keeps a cache in (the config cache, asc's code cache) and reads back as trusted: made
 * with mode 0700 when `make` asks, then used only while it is a folder (not a link), the user's own, and
 * closed to everyone else (a config or code read from it runs as asc). The entry loads this file before
 * any chunk, so it stays this small and imports only Node (decision 48).
 */
export function privateFolder(folder: string, make = false): boolean {
  try {
    if (make) mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
  } catch {
    return false;
  }
}
