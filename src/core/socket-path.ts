import { AscError } from './errors.ts';

/**
 * macOS's `struct sockaddr_un` holds a unix socket's path in `sun_path[104]`, its NUL included: a longer
 * path cannot be bound or connected to (Linux allows 108, so a test on Linux would not notice). Lima
 * refuses the same (`UNIX_PATH_MAX=104` in pkg/limayaml/validate.go and pkg/instance/create.go).
 */
export const SUN_PATH_BYTES = 104;

/**
 * Throws when `file` is too long to be a unix socket on macOS: a clear error naming the path, its
 * length in bytes, what it is, and `fix`, before anything is written.
 */
export function checkSocketPath(file: string, what: string, fix: string): void {
  const bytes = Buffer.byteLength(file);
  if (bytes < SUN_PATH_BYTES) return;
  throw new AscError(
    `${what} ${file} is ${bytes} bytes: a unix socket path on macOS must be shorter than ${SUN_PATH_BYTES} (sun_path)`,
    { code: 'E_CONFIG_INVALID', hint: `${fix}; nothing was changed` },
  );
}
