import { existsSync } from 'node:fs';

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
