import path from 'node:path';
import { type AscTaskContext, checkSocketPath } from '../../src/index.ts';

/**
 * Every unix socket path on the Mac that the instance's lima.yaml makes Lima (and asc) bind: Lima's own
 * longest one in the instance folder (`ssh.sock.` and a 16-character suffix, pkg/store/filenames), and each
 * portForwards `hostSocket` with Lima's templates filled in. Checked before lima.yaml is written or the
 * instance created, so a long LIMA_HOME or hostSocket is asc's clear error, not a socket that cannot bind.
 */
export function checkInstanceSockets(t: AscTaskContext, instance: string, dir: string): void {
  checkSocketPath(
    path.join(dir, 'ssh.sock.1234567890123456'),
    `the instance folder's longest socket (Lima's ssh master)`,
    'use a shorter LIMA_HOME (or instance name)',
  );
  t.vm.portForwards.forEach((rule, index) => {
    if (!rule.hostSocket) return;
    const file = rule.hostSocket
      .replaceAll('{{.Dir}}', dir)
      .replaceAll('{{.Name}}', instance)
      .replaceAll('{{.Home}}', t.host.home);
    const own = rule.hostSocket.startsWith('{{.Dir}}/sock/');
    checkSocketPath(
      file,
      `portForwards[${index}].hostSocket`,
      own
        ? 'use a shorter LIMA_HOME (or instance name): this forward is a plugin’s, in the instance folder'
        : `shorten the hostSocket of that forward (plugins.lima.portForwards)`,
    );
  });
}
