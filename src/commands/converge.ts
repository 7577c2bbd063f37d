import path from 'node:path';
import { ExitCode } from '../core/errors.ts';
import { selectTasks } from '../core/graph.ts';
import { acquireRunLock, type RunLock } from '../core/lock.ts';
import { details, exitCodeOf, jsonReport, recapLine, summarize } from '../core/report.ts';
import { runTasks } from '../core/runner.ts';
import { fileStamp, stateDir } from '../core/state.ts';
import type { CommandIo, GlobalOptions } from './io.ts';
import { type CommandEnv, openSession } from './session.ts';

export interface ConvergeOptions extends GlobalOptions {
  yes?: boolean;
  concurrency?: number;
}

/** `run`, `plan` and `status`: the same checks; only `run` applies, only `status` is terse. */
export async function converge(
  command: 'run' | 'plan' | 'status',
  targets: readonly string[],
  options: ConvergeOptions,
  ctx: CommandEnv,
): Promise<number> {
  const { io, session } = await openSession(options, ctx);
  if (session.loaded.file === undefined)
    noteDefaults(
      io,
      session.plugins.map((p) => p.plugin.name),
    );
  if (session.graph.tasks.size === 0) {
    io.err(
      'asc: no plugin is enabled: asc has nothing to do (enable one under `plugins:`, e.g. `lima: {}`, or add `tasks:`; `asc init` writes a starter)',
    );
  }
  const chosen = targets.length ? targets : ['all'];
  const selected = selectTasks(
    session.graph,
    chosen,
    ctx.builtins.map((p) => p.name),
  );
  const mode = command === 'run' ? 'run' : 'plan';
  const state = stateDir(ctx.home, ctx.env);

  let lock: RunLock | undefined;
  if (mode === 'run') {
    lock = await acquireRunLock(state, {
      waitMs: lockWait(ctx.env.ASC_LOCK_WAIT_MS),
      command: `asc ${command} ${chosen.join(' ')}`,
      onWait: (message) => io.err(`asc: ${message}`),
    });
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    io.err('\nasc: interrupted: no new task starts; running commands are cancelled');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const interactive = !io.json && process.stdin.isTTY === true && io.stdoutIsTTY;
    const renderer = io.json || command === 'status' ? 'silent' : io.stdoutIsTTY ? 'tree' : 'plain';
    const report = await runTasks(session.graph, selected, session.collected, {
      mode,
      concurrency: options.concurrency ?? 8,
      yes: options.yes === true,
      ...(interactive ? { ask } : {}),
      renderer,
      write: io.out,
      verbose: options.verbose === true,
      signal: abort.signal,
      env: ctx.env,
      home: ctx.home,
      backupDir: path.join(state, 'backups', fileStamp()),
      stateDir: state,
      config: session.config,
    });
    const exitCode = exitCodeOf(report, mode);
    if (io.json) {
      io.document(jsonReport(report, { command, targets: chosen, config: session.loaded.file, exitCode }));
      return exitCode;
    }
    const { stdout, stderr } = details(report, {
      drifts: command === 'status' ? 'line' : command === 'plan' ? 'diff' : 'none',
      failures: renderer !== 'plain',
    });
    for (const line of stderr) io.err(line);
    for (const line of stdout) io.out(line);
    if (command === 'status') io.out(statusLine(report));
    else io.out(recapLine(report, command));
    if (command === 'plan' && exitCode === ExitCode.Drift)
      io.out('run `asc run` with the same targets to apply');
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock?.release();
  }
}

/** ASC_LOCK_WAIT_MS: how long a second run waits for the lock; junk means the default, 3 s. */
function lockWait(value: string | undefined): number {
  const ms = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(ms) && ms >= 0 ? ms : 3000;
}

function statusLine(report: Parameters<typeof summarize>[0]): string {
  const s = summarize(report);
  if (s.failed > 0) return `status: ${s.failed} check(s) failed`;
  if (s.wouldChange > 0) return `status: ${s.wouldChange} task(s) would change`;
  return `status: converged (${s.ok} ok)`;
}

function noteDefaults(io: CommandIo, names: string[]): void {
  const which = names.length ? names.join(', ') : 'no plugins';
  io.err(
    `asc: no config file found; using the built-in defaults (${which}). \`asc init\` writes them to .ascrc.yaml`,
  );
}

/** One key at the terminal: y is yes, anything else is no (the question is already on screen). */
function ask(): Promise<boolean> {
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
