import path from 'node:path';
import type { AscExecOptions } from '../types.ts';
import type { Spawned } from './exec.ts';

/**
 * A command whose output asc keeps in memory, through Node's own `spawn`: what nearly every command is
 * (a check, `limactl list`, `launchctl print`) when the forker (`forker.ts`) cannot take it. execa's per-call work (its option normalisation, stream
 * plumbing and result object) was most of what a converged task cost beyond the spawn itself (decision
 * 47); commands that stream to or from a file (archives) still go through execa.
 *
 * The same contract as execa with `reject: false`, `stripFinalNewline: true`, `detached: true`: its own
 * process group, stdin /dev/null unless there is input, the output as UTF-8 text without its final
 * newline, ENOENT at spawn as a missing program, and a timeout or the run's cancel ending the whole group
 * (SIGTERM, SIGKILL two seconds later).
 */
export function spawnInMemory(
  file: string,
  args: readonly string[],
  options: AscExecOptions,
  settings: { signal: AbortSignal; env: NodeJS.ProcessEnv },
  timeoutMs: number,
): Promise<Spawned> {
  return new Promise((resolve) => {
    // Loaded at the first command, not at start: node:child_process brings Node's net, dgram and stream
    // modules with it (some 12 million instructions), which a run that spawns nothing never needs.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(file, args, {
      cwd: options.cwd,
      // In a folder of its own, PWD says so, as a shell's `cd` (and the forker) would have it.
      env:
        options.env || options.cwd !== undefined
          ? {
              ...settings.env,
              ...(options.cwd === undefined ? {} : { PWD: path.resolve(options.cwd) }),
              ...options.env,
            }
          : settings.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    let canceled = false;
    const stop = () => {
      canceled = true;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    settings.signal.addEventListener('abort', stop, { once: true });
    if (settings.signal.aborted) stop();
    const done = (result: Omit<Spawned, 'stdout' | 'stderr' | 'timedOut' | 'canceled'>) => {
      clearTimeout(timer);
      settings.signal.removeEventListener('abort', stop);
      resolve({ ...result, stdout: text(stdout), stderr: text(stderr), timedOut, canceled });
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failure to start ends the command here; once it runs, 'close' does.
      if (child.pid === undefined) done({ exitCode: undefined, missing: error.code === 'ENOENT' });
    });
    child.once('close', (code, signal) => {
      if (child.pid !== undefined) done({ exitCode: code ?? undefined, signal: signal ?? undefined });
    });
    if (options.input !== undefined && child.stdin) {
      // A command that exits without reading its input closes the pipe: not asc's error.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** UTF-8, without one final newline (`\n` or `\r\n`), as execa's stripFinalNewline. */
export function text(chunks: Buffer[]): string {
  const all = Buffer.concat(chunks).toString('utf8');
  return all.endsWith('\r\n') ? all.slice(0, -2) : all.endsWith('\n') ? all.slice(0, -1) : all;
}

/** SIGTERM to the command's process group, SIGKILL two seconds later if anything is left. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 2000).unref();
}
