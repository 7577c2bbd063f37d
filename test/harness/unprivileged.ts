import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, type Sandbox } from './sandbox.ts';

/** util-linux's setpriv: runs a program with another uid, without a login or PAM. */
export const SETPRIV = '/usr/bin/setpriv';

/** The tests run as root (as in CI), for which mode 000 means nothing. */
export const runsAsRoot = process.getuid?.() === 0;

/** An unprivileged user can be had: the tests are not root, or setpriv can drop root. */
export const unprivilegedAvailable = (): boolean => !runsAsRoot || existsSync(SETPRIV);

/**
 * `[file, args]` that run `file args…` as a user for whom a file of mode 000 is unreadable: the current
 * user, or nobody (65534) when the tests run as root. That user needs read and search access to the
 * sandbox folders it uses (a sandbox root is 0700).
 */
export function unprivileged(file: string, args: readonly string[]): [string, string[]] {
  return runsAsRoot
    ? [SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...args]]
    : [file, [...args]];
}

/**
 * The built CLI copied where that user can read it, inside the sandbox (under `tmp/`, which snapshots
 * leave out): the checkout's own `dist/cli.cjs` may sit below a folder only its owner may enter (a 0750
 * home, a `mktemp -d`), and the test must not depend on where the checkout lives. The bundle is
 * self-contained but for the tree-sitter packages, which these tests do not load.
 */
export async function readableCli(sandbox: Pick<Sandbox, 'tmp'>): Promise<string> {
  const dist = path.join(sandbox.tmp, 'asc-cli', 'dist');
  await mkdir(dist, { recursive: true, mode: 0o755 });
  for (const name of await readdir(path.join(ROOT, 'dist'))) {
    if (!/\.(c?js|json)$/.test(name)) continue;
    await copyFile(path.join(ROOT, 'dist', name), path.join(dist, name));
    await chmod(path.join(dist, name), 0o644);
  }
  for (const dir of [sandbox.tmp, path.dirname(dist), dist]) await chmod(dir, 0o755);
  return path.join(dist, 'cli.cjs');
}
