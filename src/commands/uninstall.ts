import { displayPath } from '../core/context/files.ts';
import { ExitCode } from '../core/errors.ts';
import { buildGraph, loadGlobs } from '../core/graph.ts';
import { details, exitCodeOf, jsonReport, recapLine, summarize } from '../core/report.ts';
import type { RunReport } from '../core/runner.ts';
import { stateDir } from '../core/state.ts';
import { coreUninstallTasks } from '../core/uninstall.ts';
import { askKey, executeTasks, isInteractive } from './execute.ts';
import type { CommandIo, GlobalOptions } from './io.ts';
import { type CommandEnv, openSession } from './session.ts';

export interface UninstallOptions extends GlobalOptions {
  yes?: boolean;
  plan?: boolean;
}

/**
 * `asc uninstall`: every plugin's uninstall tasks, which undo on the Mac what its tasks did, and the
 * core's (pending handlers). First the plan, as `asc plan` shows it; then, with --yes or a yes at the
 * terminal, the run. Without either it changes nothing and says so (exit 2). The VM, its disk, the
 * guest home and the user's own files stay: the last lines say how to remove those too.
 */
export async function uninstall(options: UninstallOptions, ctx: CommandEnv): Promise<number> {
  const { io, session } = await openSession(options, ctx);
  const state = stateDir(ctx.home, ctx.env);
  const tasks = [...session.collected.uninstall, ...coreUninstallTasks(state)];
  await loadGlobs(tasks.flatMap((task) => task.needs));
  const graph = buildGraph({ tasks, handlers: [] });
  const pass = {
    graph,
    selected: [...graph.tasks.keys()],
    collected: session.collected,
    config: session.config,
    command: 'asc uninstall',
    concurrency: 8,
    verbose: options.verbose === true,
  };
  const config = session.loaded.file;
  const plan = await executeTasks(io, ctx, { ...pass, mode: 'plan', renderer: 'silent', yes: false });
  const planExit = exitCodeOf(plan, 'plan');
  const show = (report: RunReport, drifts: 'all' | 'none') => {
    const { stdout, stderr } = details(report, { drifts, failures: true });
    for (const line of stderr) io.err(line);
    for (const line of stdout) io.out(line);
  };

  if (options.plan || planExit !== ExitCode.Drift) {
    if (io.json) {
      io.document(jsonReport(plan, { command: 'uninstall --plan', targets: [], config, exitCode: planExit }));
      return planExit;
    }
    show(plan, 'all');
    io.out(recapLine(plan, 'plan').replace(/^plan:/, options.plan ? 'uninstall --plan:' : 'uninstall:'));
    if (planExit === ExitCode.Ok) io.out('nothing to undo: asc has no edit left on this Mac');
    if (planExit === ExitCode.Drift)
      io.out('`asc uninstall` undoes these (it asks first; with --yes it does not)');
    printLeftovers(io, ctx, session.collected.kept, config);
    return planExit;
  }

  if (!io.json) show(plan, 'all');
  const changes = summarize(plan).wouldChange;
  let go = options.yes === true;
  if (!go && isInteractive(io)) {
    io.out(`Undo these ${changes} change(s)? [y/N]`);
    go = await askKey();
  }
  if (!go) {
    const why = isInteractive(io)
      ? 'you answered no'
      : 'there is no terminal to ask at: run `asc uninstall --yes`';
    io.err(`asc: nothing was changed: ${why}`);
    if (io.json)
      io.document(jsonReport(plan, { command: 'uninstall', targets: [], config, exitCode: ExitCode.Usage }));
    return ExitCode.Usage;
  }

  const done = await executeTasks(io, ctx, {
    ...pass,
    mode: 'run',
    renderer: io.json ? 'silent' : 'plain',
    yes: true,
  });
  const exitCode = exitCodeOf(done, 'run');
  if (io.json) {
    io.document(jsonReport(done, { command: 'uninstall', targets: [], config, exitCode }));
    return exitCode;
  }
  show(done, 'none');
  io.out(recapLine(done, 'run').replace(/^run:/, 'uninstall:'));
  printLeftovers(io, ctx, session.collected.kept, config);
  return exitCode;
}

/**
 * What uninstall leaves on purpose, and the commands that remove it too: each enabled plugin's own lines
 * (its `kept` hook), then the core's.
 */
function printLeftovers(
  io: CommandIo,
  ctx: CommandEnv,
  kept: readonly string[],
  config: string | undefined,
): void {
  const state = displayPath(stateDir(ctx.home, ctx.env), ctx.home);
  const core = [
    ...(config ? [`your asc config ${displayPath(config, ctx.home)}: asc never deletes it`] : []),
    `asc's state folder ${state} (backups of every file asc changed, and what plugins keep there): \`rm -rf ${state}\``,
    'asc itself: `npm uninstall -g ascalon`',
  ];
  io.out('kept, on purpose:');
  for (const line of [...kept, ...core]) io.out(`  ${line}`);
}
