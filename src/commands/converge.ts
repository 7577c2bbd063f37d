import type { z } from 'zod';
import { ExitCode } from '../core/errors.ts';
import { loadGlobs, matchTargets, selectTasks } from '../core/graph.ts';
import { details, exitCodeOf, jsonReport, recapLine, summarize } from '../core/report.ts';
import type { AscSession } from '../core/session.ts';
import type { AscPlugin } from '../core/types.ts';
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
  // Only a phase that holds no task needs the plugins that are off: to say which would fill it.
  const tasks = [...session.graph.tasks.values()];
  const empty = chosen.some(
    (t) => session.graph.phases.includes(t) && !tasks.some((task) => task.phase === t),
  );
  const off = empty ? await disabledBuiltins(session, ctx) : [];
  await loadGlobs(chosen);
  const selected = selectTasks(
    session.graph,
    chosen,
    ctx.builtins.map((p) => p.name),
    (phase) => phaseProviders(off, session, ctx, phase),
  );
  const mode = command === 'run' ? 'run' : 'plan';
  const unattended = mode === 'run' && options.unattended === true;
  const renderer = io.json || command === 'status' || unattended ? 'silent' : io.treeFits ? 'tree' : 'plain';
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

interface OffPlugin {
  plugin: AscPlugin<unknown>;
  schema: z.ZodType;
  optIn: boolean;
}

/** The built-in plugins not enabled now, loaded with their schemas. */
function disabledBuiltins(
  session: AscSession,
  { builtins }: Pick<CommandEnv, 'builtins'>,
): Promise<OffPlugin[]> {
  const enabled = new Set(session.plugins.map((p) => p.plugin.name));
  return Promise.all(
    builtins
      .filter((entry) => !enabled.has(entry.name))
      .map(async (entry) => ({
        plugin: await entry.load(),
        schema: await entry.options(),
        optIn: entry.optIn === true,
      })),
  );
}

/** The built-in plugins, not enabled now, with a task in `phase` (their tasks made from their defaults). */
function phaseProviders(
  off: readonly OffPlugin[],
  session: AscSession,
  { home }: Pick<CommandEnv, 'home'>,
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
  return off
    .filter(({ plugin, schema }) => {
      try {
        const defaults = schema.safeParse({});
        return plugin.tasks(defaults.success ? defaults.data : {}, ctx).some((task) => task.phase === phase);
      } catch {
        return false;
      }
    })
    .map(({ plugin, optIn }) => ({
      name: plugin.name,
      enable: optIn ? `${plugin.name}: { enabled: true }` : `${plugin.name}: {}`,
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
