import type { Collected, HandlerNode, TaskNode } from './collect.ts';
import { createExec } from './context/exec.ts';
import { createFiles } from './context/files.ts';
import { createGuest } from './context/guest.ts';
import { createHost } from './context/host.ts';
import { AscError, formatError } from './errors.ts';
import type { TaskGraph } from './graph.ts';
import { renderTree } from './render.ts';
import type { AscLog, AscResolvedConfig, AscTaskContext, AscTaskResult, AscTaskStatus } from './types.ts';

export interface RunnerOptions {
  /** `run` applies; `plan` only checks (exec/files refuse writes). */
  mode: 'run' | 'plan';
  /** Most checks/applies at once. */
  concurrency: number;
  /** `--yes`: disruptive steps are allowed without asking. */
  yes: boolean;
  /** Read a yes or no at the TTY when `--yes` is absent; the question is shown under the task first. */
  ask?: () => Promise<boolean>;
  renderer: 'tree' | 'plain' | 'silent';
  /** Where plain lines go (stdout). */
  write?: (line: string) => void;
  verbose: boolean;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  home: string;
  backupDir: string;
  config: AscResolvedConfig;
}

export interface RunReport {
  results: AscTaskResult[];
  durationMs: number;
  interrupted: boolean;
}

/** What a task's body resolves to, before it becomes a result row. */
interface Outcome {
  status: AscTaskStatus;
  reason?: string;
  diff?: string;
}

/**
 * Run the selected tasks: each waits for its needs, at most `concurrency` at a time; check → (plan: report
 * drift | run: apply → check again). Dependents of a failed task are skipped with that reason; in plan
 * mode dependents of a drifted task are not checked against a world that does not exist yet.
 */
export async function runTasks(
  graph: TaskGraph,
  selected: readonly string[],
  collected: Pick<Collected, 'vm' | 'tools' | 'guestFacts'>,
  options: RunnerOptions,
): Promise<RunReport> {
  const started = performance.now();
  const dryRun = options.mode === 'plan';
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    let value = memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      memo.set(key, value);
    }
    return value;
  };
  const slots = semaphore(Math.max(1, options.concurrency));
  const outcomes = new Map<string, Promise<Outcome>>();
  const results = new Map<string, AscTaskResult>();
  let confirmQueue: Promise<unknown> = Promise.resolve();

  const contextFor = (id: string, log: AscLog): AscTaskContext => {
    const exec = createExec({
      dryRun,
      signal: options.signal,
      tools: collected.tools,
      env: options.env,
      debug: log.debug,
    });
    return {
      id,
      config: options.config,
      host: createHost(options.home, options.env, exec, once),
      exec,
      guest: createGuest({
        instance: options.config.instance,
        exec,
        dryRun,
        once,
        factScripts: collected.guestFacts,
      }),
      files: createFiles({ dryRun, home: options.home, backupDir: options.backupDir }),
      log,
      signal: options.signal,
      dryRun,
      vm: collected.vm,
      confirm: (question) => {
        if (options.yes) return Promise.resolve(true);
        if (!options.ask) return Promise.resolve(false);
        // One prompt at a time, even when concurrent tasks ask together.
        const answer = confirmQueue.then(() => {
          log.info(`${question} [y/N]`);
          return options.ask!();
        });
        confirmQueue = answer.catch(() => undefined);
        return answer;
      },
      once,
    };
  };

  const execute = async (node: TaskNode, log: AscLog): Promise<Outcome> => {
    const needs = graph.needs.get(node.id) ?? [];
    const needOutcomes = needs.length
      ? await Promise.all(needs.map(async (need) => [need, await outcomes.get(need)] as const))
      : [];
    for (const [need, outcome] of needOutcomes) {
      if (outcome?.status === 'failed') return { status: 'skipped', reason: `need ${need} failed` };
      if (outcome?.status === 'skipped') return { status: 'skipped', reason: `need ${need} was skipped` };
      if (outcome?.status === 'would-change') return { status: 'skipped', reason: `would run after ${need}` };
    }
    if (options.signal.aborted) return { status: 'skipped', reason: 'interrupted before it started' };
    const release = await slots.acquire();
    try {
      if (options.signal.aborted) return { status: 'skipped', reason: 'interrupted before it started' };
      const t = contextFor(node.id, log);
      const before = await node.check(t);
      if (before.converged) return before.reason ? { status: 'ok', reason: before.reason } : { status: 'ok' };
      if (dryRun) return withDiff({ status: 'would-change', reason: before.reason }, before.diff);
      log.debug(`drift: ${before.reason}`);
      await node.apply(t);
      const after = await node.check(t);
      if (!after.converged) {
        return withDiff({ status: 'failed', reason: `apply did not converge: ${after.reason}` }, after.diff);
      }
      return withDiff({ status: 'changed', reason: before.reason }, before.diff);
    } catch (error) {
      return { status: 'failed', reason: formatError(error) };
    } finally {
      release();
    }
  };

  const order = selected.map((id) => graph.tasks.get(id)!);
  const logs = new Map<string, LogProxy>();
  for (const node of order) {
    const log = logProxy();
    logs.set(node.id, log);
    const t0 = performance.now();
    const outcome = execute(node, log);
    outcomes.set(node.id, outcome);
    void outcome.then((done) => results.set(node.id, toResult(node, done, performance.now() - t0)));
  }
  const handlers = notifiedHandlers(graph, order, outcomes, dryRun);
  await renderTree({
    groups: groupByPlugin(order),
    handlers,
    renderer: options.renderer,
    verbose: options.verbose,
    ...(options.write ? { write: options.write } : {}),
    bindLog: (id, sink) => logs.get(id)?.bind(sink),
    runTask: async (node) => {
      await outcomes.get(node.id);
      return results.get(node.id)!;
    },
    runHandler: async (handler, notifiedBy) => {
      const log = logProxy();
      logs.set(handler.id, log);
      const t0 = performance.now();
      const outcome = await runHandler(
        handler,
        notifiedBy,
        dryRun,
        options.signal,
        contextFor(handler.id, log),
      );
      const row = toResult(handlerAsTask(handler), outcome, performance.now() - t0);
      results.set(handler.id, row);
      return row;
    },
  });
  const ordered = [
    ...order.map((node) => results.get(node.id)!),
    ...handlers.flatMap((h) => results.get(h.handler.id) ?? []),
  ];
  return { results: ordered, durationMs: performance.now() - started, interrupted: options.signal.aborted };
}

/** Handlers run once, after every task, when a task that notifies them changed (or would change). */
function notifiedHandlers(
  graph: TaskGraph,
  order: readonly TaskNode[],
  outcomes: ReadonlyMap<string, Promise<Outcome>>,
  dryRun: boolean,
): { handler: HandlerNode; notifiedBy: () => Promise<string[]> }[] {
  const byHandler = new Map<string, TaskNode[]>();
  for (const node of order)
    for (const id of node.notify) byHandler.set(id, [...(byHandler.get(id) ?? []), node]);
  return [...graph.handlers.values()]
    .filter((handler) => byHandler.has(handler.id))
    .map((handler) => ({
      handler,
      notifiedBy: async () => {
        const notifiers = byHandler.get(handler.id) ?? [];
        const states = await Promise.all(
          notifiers.map(async (n) => [n.id, (await outcomes.get(n.id))?.status] as const),
        );
        return states
          .filter(([, status]) => status === (dryRun ? 'would-change' : 'changed'))
          .map(([id]) => id);
      },
    }));
}

async function runHandler(
  handler: HandlerNode,
  notifiedBy: string[],
  dryRun: boolean,
  signal: AbortSignal,
  t: AscTaskContext,
): Promise<Outcome> {
  if (notifiedBy.length === 0)
    return { status: 'skipped', reason: 'not notified: nothing it watches changed' };
  const reason = `notified by ${notifiedBy.join(', ')}`;
  if (dryRun) return { status: 'would-change', reason: `would run: ${reason}` };
  if (signal.aborted) return { status: 'skipped', reason: 'interrupted before it started' };
  try {
    await handler.run(t);
    return { status: 'changed', reason };
  } catch (error) {
    return { status: 'failed', reason: formatError(error) };
  }
}

function handlerAsTask(handler: HandlerNode): TaskNode {
  return {
    id: handler.id,
    plugin: handler.plugin,
    title: handler.title,
    phase: undefined,
    needs: [],
    notify: [],
    check: () => Promise.reject(new AscError('a handler has no check', { code: 'E_USAGE' })),
    apply: handler.run,
    source: `plugin ${handler.plugin}`,
  };
}

function withDiff(outcome: Outcome, diff: string | undefined): Outcome {
  return diff === undefined ? outcome : { ...outcome, diff };
}

function toResult(node: TaskNode, outcome: Outcome, durationMs: number): AscTaskResult {
  return {
    id: node.id,
    plugin: node.plugin,
    phase: node.phase,
    title: node.title,
    status: outcome.status,
    reason: outcome.reason,
    diff: outcome.diff,
    durationMs: Math.round(durationMs),
  };
}

function groupByPlugin(order: readonly TaskNode[]): Map<string, TaskNode[]> {
  const groups = new Map<string, TaskNode[]>();
  for (const node of order) {
    const group = groups.get(node.plugin);
    if (group) group.push(node);
    else groups.set(node.plugin, [node]);
  }
  return groups;
}

interface LogProxy extends AscLog {
  bind(sink: AscLog): void;
}

/** A task's log, usable before the renderer has a row for it: early lines are kept and replayed. */
function logProxy(): LogProxy {
  let sink: AscLog | undefined;
  const early: [keyof AscLog, string][] = [];
  const emit = (level: keyof AscLog) => (message: string) => {
    if (sink) sink[level](message);
    else early.push([level, message]);
  };
  return {
    info: emit('info'),
    warn: emit('warn'),
    debug: emit('debug'),
    bind(next) {
      sink = next;
      for (const [level, message] of early.splice(0)) next[level](message);
    },
  };
}

function semaphore(limit: number): { acquire(): Promise<() => void> } {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    const next = waiting.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    acquire() {
      if (active < limit) {
        active++;
        return Promise.resolve(release);
      }
      return new Promise((resolve) => waiting.push(() => resolve(release)));
    },
  };
}
