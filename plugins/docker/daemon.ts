import http from 'node:http';
import { AscError, type AscTaskContext, displayPath, expandHome } from '../../src/index.ts';
import type { HostService } from '../lima/api.ts';
import type { DockerOptions } from './options.ts';

/** The Docker forward: `~/.asc-docker.sock` in the guest, `<instance dir>/sock/asc-docker.sock` on the Mac. */
export const DOCKER: HostService = { guestFile: '.asc-docker.sock', linkFile: 'asc-docker.sock' };

/** Colima's default profile socket since v0.4.0 (Colima's docs/FAQ.md). */
export const FALLBACK_SOCKET = '~/.colima/default/docker.sock';

export const START_COLIMA = 'start Colima: `colima start`';

export type ColimaStatus =
  | { state: 'running'; socket: string | undefined }
  | { state: 'stopped' }
  | { state: 'missing' };

/**
 * `colima status --json`, once per run: JSON with `docker_socket: "unix://…"` while it runs; exit 1 with
 * "colima is not running" and no JSON when it does not (Colima's cmd/status.go, app/app.go statusInfo).
 */
export function colimaStatus(t: AscTaskContext): Promise<ColimaStatus> {
  return t.once('docker:colima', async () => {
    let result: Awaited<ReturnType<AscTaskContext['exec']['query']>>;
    try {
      result = await t.exec.query('colima', ['status', '--json'], { okCodes: [0, 1], timeoutMs: 60_000 });
    } catch (error) {
      if (error instanceof AscError && error.code === 'E_TOOL_MISSING') return { state: 'missing' };
      throw error;
    }
    if (result.exitCode !== 0) return { state: 'stopped' };
    try {
      const info = JSON.parse(result.stdout) as { docker_socket?: unknown };
      const socket =
        typeof info.docker_socket === 'string' ? info.docker_socket.replace(/^unix:\/\//, '') : '';
      return { state: 'running', socket: socket || undefined };
    } catch {
      throw new AscError(`could not read \`colima status --json\`: ${result.stdout.slice(0, 120)}`, {
        code: 'E_COMMAND_FAILED',
        hint: 'is colima the real Colima? `colima version` should print it',
      });
    }
  });
}

/** Where the daemon's socket is on the Mac, and who says so. */
export interface DaemonTarget {
  socket: string;
  /** For messages: "plugins.docker.hostSocket", "colima status", … */
  source: string;
  colima: ColimaStatus | undefined;
}

/**
 * The option wins. Otherwise Colima's own answer (its folder may be ~/.colima, ~/.config/colima or
 * $COLIMA_HOME). While Colima does not run, the link keeps what it had, or Colima's default socket.
 */
export async function daemonTarget(
  t: AscTaskContext,
  options: DockerOptions,
  current: string | undefined | Promise<string | undefined>,
): Promise<DaemonTarget> {
  if (options.hostSocket) {
    return {
      socket: expandHome(options.hostSocket, t.host.home),
      source: 'plugins.docker.hostSocket',
      colima: undefined,
    };
  }
  const colima = await colimaStatus(t);
  if (colima.state === 'running' && colima.socket) {
    return { socket: colima.socket, source: '`colima status`', colima };
  }
  const kept = await current;
  if (kept) return { socket: kept, source: 'kept while Colima does not run', colima };
  return { socket: expandHome(FALLBACK_SOCKET, t.host.home), source: "Colima's default", colima };
}

/** GET /_ping on a unix socket, as the docker CLI begins: connect, never trust that the file exists. */
export function pingDocker(
  socket: string,
  timeoutMs = 10_000,
): Promise<{ ok: true } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve(
          response.statusCode === 200
            ? { ok: true }
            : { ok: false, why: `/_ping answered ${response.statusCode}` },
        ),
      );
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10s')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ENOENT'
          ? 'no socket there'
          : error.code === 'ECONNREFUSED'
            ? 'the socket file is there, but nothing listens on it'
            : error.message;
      resolve({ ok: false, why });
    });
  });
}

/** The daemon on the Mac: answering, or why not and what to do. */
export type HostDaemon =
  | { answers: true; target: DaemonTarget }
  | { answers: false; target: DaemonTarget; reason: string; hint: string };

export async function hostDaemon(
  t: AscTaskContext,
  options: DockerOptions,
  current: string | undefined | Promise<string | undefined>,
): Promise<HostDaemon> {
  const target = await daemonTarget(t, options, current);
  const ping = await pingDocker(target.socket);
  if (ping.ok) return { answers: true, target };
  const at = displayPath(target.socket, t.host.home);
  const colima = target.colima;
  if (!colima) {
    return {
      answers: false,
      target,
      reason: `no Docker daemon answers at ${at} (plugins.docker.hostSocket): ${ping.why}`,
      hint: 'start the daemon behind that socket, or correct plugins.docker.hostSocket',
    };
  }
  if (colima.state === 'missing') {
    return {
      answers: false,
      target,
      reason: `Colima is not installed, and no Docker daemon answers at ${at}`,
      hint: `install Colima (\`brew install colima\`), then ${START_COLIMA}; or set plugins.docker.hostSocket`,
    };
  }
  if (colima.state === 'stopped') {
    const leftover = ping.why.startsWith('the socket file') ? `; its socket file ${at} is left behind` : '';
    return { answers: false, target, reason: `Colima is not running${leftover}`, hint: START_COLIMA };
  }
  if (!colima.socket) {
    return {
      answers: false,
      target,
      reason: 'Colima runs without the docker runtime (`colima status --json` names no docker_socket)',
      hint: 'start Colima with Docker: `colima start --runtime docker`',
    };
  }
  return {
    answers: false,
    target,
    reason: `Colima runs, but its Docker daemon does not answer at ${at}: ${ping.why}`,
    hint: 'restart Colima: `colima restart`',
  };
}
