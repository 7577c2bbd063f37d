import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The folder for a test's temporary tree: $TMPDIR when it is short, else /tmp. Tests bind unix sockets
 * deep inside it (1Password's agent under `~/Library/Group Containers/…`, Lima's `ssh.sock.<16>`), and
 * macOS's 104-byte sun_path (which asc checks, as Lima does) leaves about 16 bytes for this folder.
 */
export const SHORT_TMP_BUDGET = 16;

export function shortTmpBase(base = tmpdir()): string {
  return Buffer.byteLength(base) <= SHORT_TMP_BUDGET ? base : '/tmp';
}

/** `mkdtemp` in the short base: `<base>/<prefix>XXXXXX`. */
export function shortTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(shortTmpBase(), prefix));
}
