import { ExitCode } from '../core/errors.ts';
import { matchTargets, selectTasks } from '../core/graph.ts';
import { details, exitCodeOf, jsonReport, recapLine, summarize } from '../core/report.ts';
import type { AscSession } from '../core/session.ts';
import { type Execution, executeTasks } from './execute.ts';
import type { CommandIo, GlobalOptions } from './io.ts';
import { type CommandEnv, openSession } from './session.ts';
import { runUnattended } from './unattended.ts';

export interface ConvergeOptions extends GlobalOptions {
  yes?: boolean;
  concurrency?: number;
  /** `run --unattended`: a LaunchAgent's run (see `unattended.ts`). */
  unattended?: boolean;
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
    (phase) => phaseProviders(session, ctx, phase),
  );
  const mode = command === 'run' ? 'run' : 'plan';
  const unattended = mode === 'run' && options.unattended === true;
  const renderer =
    io.json || command === 'status' || unattended ? 'silent' : io.stdoutIsTTY ? 'tree' : 'plain';
  const execution: Execution = {
    graph: session.graph,
    selected,
    collected: session.collected,
    config: session.config,
    mode,
    renderer,
    command: `asc ${command} ${chosen.join(' ')}`,
    yes: options.yes === true,
    concurrency: options.concurrency ?? 16,
    verbose: options.verbose === true,
  };
  if (unattended) {
    const applyOnly = matchTargets(
      session.graph,
      chosen,
      ctx.builtins.map((p) => p.name),
    );
    return runUnattended(io, execution.command, ctx, () =>
      executeTasks(io, ctx, { ...execution, unattended: { applyOnly } }),
    );
  }
  const report = await executeTasks(io, ctx, execution);
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
}

/** The built-in plugins, not enabled now, with a task in `phase` (their tasks made from their defaults). */
function phaseProviders(
  session: AscSession,
  { builtins, home }: Pick<CommandEnv, 'builtins' | 'home'>,
  phase: string,
): { name: string; enable: string }[] {
  const enabled = new Set(session.plugins.map((p) => p.plugin.name));
  const ctx = {
    config: session.config,
    home,
    vm: session.collected.vm,
    plugins: [...enabled],
    agents: session.collected.agents,
  };
  return builtins
    .filter((plugin) => !enabled.has(plugin.name))
    .filter((plugin) => {
      try {
        const defaults = plugin.options?.safeParse({});
        return plugin.tasks(defaults?.success ? defaults.data : {}, ctx).some((task) => task.phase === phase);
      } catch {
        return false;
      }
    })
    .map((plugin) => ({
      name: plugin.name,
      enable: plugin.optIn ? `${plugin.name}: { enabled: true }` : `${plugin.name}: {}`,
    }));
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
