import { setMaxListeners } from 'node:events';
import path from 'node:path';
import type { Collected } from '../core/collect.ts';
import type { TaskGraph } from '../core/graph.ts';
import { acquireRunLock, type RunLock } from '../core/lock.ts';
import { type RunReport, runTasks } from '../core/runner.ts';
import { fileStamp, stateDir } from '../core/state.ts';
import type { AscResolvedConfig } from '../core/types.ts';
import type { CommandIo } from './io.ts';
import type { CommandEnv } from './session.ts';

/** What one pass of the runner works on. */
export interface Execution {
  graph: TaskGraph;
  selected: readonly string[];
  collected: Pick<Collected, 'vm' | 'tools' | 'guestFacts'>;
  config: AscResolvedConfig;
  mode: 'run' | 'plan';
  /** `tree` at a terminal, `plain` lines otherwise, `silent` for --json and status. */
  renderer: 'tree' | 'plain' | 'silent';
  /** The command line the run lock names (`asc run phase1`). */
  command: string;
  yes: boolean;
  concurrency: number;
  verbose: boolean;
  /**
   * `--unattended` (a LaunchAgent's run): no wait for the lock (E_LOCKED at once), never a question, and
   * only these tasks applied.
   */
  unattended?: { applyOnly: ReadonlySet<string> };
}

/**
 * One pass of the runner as a command runs it: the run lock (run mode), Ctrl-C and SIGTERM cancel what
 * runs and skip what has not started, and a yes/no question is read from the terminal when there is one.
 */
export async function executeTasks(io: CommandIo, ctx: CommandEnv, run: Execution): Promise<RunReport> {
  const state = stateDir(ctx.home, ctx.env);
  let lock: RunLock | undefined;
  if (run.mode === 'run') {
    // An unattended run does not wait: the caller gives way to the run that holds the lock.
    lock = await acquireRunLock(state, {
      waitMs: run.unattended ? 0 : lockWait(ctx.env.ASC_LOCK_WAIT_MS),
      command: run.command,
      onWait: (message) => io.err(`asc: ${message}`),
    });
  }
  const abort = new AbortController();
  // Each command in flight listens for Ctrl-C on this signal until it ends: many at once is not a leak.
  setMaxListeners(0, abort.signal);
  const onSignal = () => {
    if (abort.signal.aborted) return;
    io.err('\nasc: interrupted: no new task starts; running commands are cancelled');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runTasks(run.graph, run.selected, run.collected, {
      mode: run.mode,
      concurrency: run.concurrency,
      yes: run.yes,
      ...(isInteractive(io) && !run.unattended ? { ask: askKey } : {}),
      ...(run.unattended ? { applyOnly: run.unattended.applyOnly } : {}),
      renderer: run.renderer,
      write: io.out,
      verbose: run.verbose,
      signal: abort.signal,
      env: ctx.env,
      home: ctx.home,
      backupDir: path.join(state, 'backups', fileStamp()),
      stateDir: state,
      config: run.config,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock?.release();
  }
}

/** A person at a terminal can answer a question: stdin and stdout are TTYs, and no --json. */
export function isInteractive(io: CommandIo): boolean {
  return !io.json && io.stdoutIsTTY && process.stdin.isTTY === true;
}

/** ASC_LOCK_WAIT_MS: how long a second run waits for the lock; junk means the default, 3 s. */
function lockWait(value: string | undefined): number {
  const ms = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(ms) && ms >= 0 ? ms : 3000;
}

/** One key at the terminal: y is yes, anything else is no (the question is already on screen). */
export function askKey(): Promise<boolean> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.once('data', (key: Buffer) => {
      stdin.setRawMode(false);
      stdin.pause();
      const answer = key.toString();
      // Ctrl-C in raw mode arrives as a byte, not a signal: pass it on.
      if (answer === '\u0003') process.kill(process.pid, 'SIGINT');
      resolve(/^y/i.test(answer));
    });
  });
}
