import pLimit from 'p-limit';
import type { Collected } from './collect.ts';
import { createCheckCache, type EarlyReads } from './early-checks.ts';
import { describeFailure } from './errors.ts';
import type { TaskGraph } from './graph.ts';
import { type PendingHandler, PendingHandlers } from './pending.ts';
import { renderTree } from './render.ts';
import { createContextFactory, type LogProxy, logProxy } from './task-context.ts';
import type { HandlerNode, TaskNode } from './task-node.ts';
import type {
  AscCheckResult,
  AscDrift,
  AscLog,
  AscResolvedConfig,
  AscTaskContext,
  AscTaskResult,
  AscTaskStatus,
} from './types.ts';

/** Milliseconds, monotonic: `performance.now()` would load Node's perf_hooks on every start. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

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
  /**
   * Run mode: only these tasks are applied (`--unattended`: the targets themselves). Any other task that
   * drifts is `skipped`, not applied, and so is what needs it. @defaultValue every selected task
   */
  applyOnly?: ReadonlySet<string>;
  /** Where plain lines go (stdout). */
  write?: (line: string) => void;
  verbose: boolean;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  home: string;
  backupDir: string;
  stateDir: string;
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
  /** Plan mode: the drifted task this one waits for, however far up the chain. */
  pendingOn?: string;
  /** From the moment it got a slot: time spent waiting for its needs is not its own. */
  durationMs?: number;
}

/**
 * Run the selected tasks: each task's check starts at once, at most `concurrency` checks and applies at a
 * time; check → (plan: report drift | run: apply → check again). A check never changes anything, so it may
 * run before its needs are settled: if every need comes back ok its result stands; if a need drifted (or
 * failed, or was skipped) the early result is discarded, its error too, and the task goes on as if it had
 * waited: after the need's apply it is checked again; dependents of a failed task are skipped with that
 * reason; in plan mode dependents of a drifted task are not checked against a world that does not exist
 * yet ("would run after"). Notified handlers run after every task, one at a time, in the order their
 * plugins declare them (as Ansible's).
 */
export async function runTasks(
  graph: TaskGraph,
  selected: readonly string[],
  collected: Pick<Collected, 'vm' | 'tools' | 'guestFacts'>,
  options: RunnerOptions,
): Promise<RunReport> {
  const started = now();
  const dryRun = options.mode === 'plan';
  const contextFor = createContextFactory({ ...options, readOnly: dryRun, collected });
  const cache = createCheckCache();
  const pending = new PendingHandlers(options.stateDir);
  // A notifying task's handlers become pending before its apply can change anything.
  const beforeApply = (node: TaskNode) =>
    node.notify.length ? pending.mark(node.notify, node.id) : undefined;
  const how: How = {
    dryRun,
    verbose: options.verbose,
    beforeApply,
    applies: (node) => options.applyOnly?.has(node.id) ?? true,
  };
  const limit = pLimit(Math.max(1, options.concurrency));
  const outcomes = new Map<string, Promise<Outcome>>();
  /** Tasks that came back ok with every need (all the way up) ok: nothing before them changed anything. */
  const clean = new Set<string>();
  const done = new Set<string>();
  const results = new Map<string, AscTaskResult>();
  const interrupted: Outcome = { status: 'skipped', reason: 'interrupted before it started' };
  /** Known as soon as it is decided, still in its slot: the next check to get that slot sees it. */
  const settle = (node: TaskNode, outcome: Outcome): Outcome => {
    if (done.has(node.id)) return outcome;
    done.add(node.id);
    const needs = graph.needs.get(node.id) ?? [];
    if (outcome.status === 'ok' && needs.every((need) => clean.has(need))) clean.add(node.id);
    return outcome;
  };

  /** The task's check and apply with its needs settled, in one slot (today's path, and a re-check's). */
  const checkWithNeedsSettled = (node: TaskNode, log: AscLog) =>
    limit(async (): Promise<Outcome> => {
      if (options.signal.aborted) return interrupted;
      const t0 = now();
      const outcome = await checkAndApply(node, cache.settled(contextFor(node, log)), how);
      return settle(node, { ...outcome, durationMs: now() - t0 });
    });

  const execute = async (node: TaskNode, log: AscLog): Promise<Outcome> => {
    const needs = graph.needs.get(node.id) ?? [];
    if (needs.length === 0) {
      if (options.signal.aborted) return interrupted;
      return checkWithNeedsSettled(node, log);
    }
    // The check starts now, in a slot of its own, unless a need is already known not to be ok.
    const early = await limit(async (): Promise<EarlyCheck | undefined> => {
      if (options.signal.aborted) return undefined;
      if (needs.some((need) => done.has(need) && !clean.has(need))) return undefined;
      const reads = cache.early(contextFor(node, log));
      const t0 = now();
      const check = await node.check(reads.context).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      return { reads, check, durationMs: now() - t0 };
    });
    const needOutcomes = await Promise.all(
      needs.map(async (need) => [need, await outcomes.get(need)] as const),
    );
    let waitOn: Outcome | undefined;
    for (const [need, outcome] of needOutcomes) {
      if (outcome?.status === 'failed') waitOn = { status: 'skipped', reason: `need ${need} failed` };
      else if (outcome?.status === 'would-change' || outcome?.pendingOn) {
        const pendingOn = outcome.pendingOn ?? need;
        waitOn = { status: 'skipped', reason: `would run after ${pendingOn}`, pendingOn };
      } else if (outcome?.status === 'skipped')
        waitOn = { status: 'skipped', reason: `need ${need} was skipped` };
      if (waitOn) break;
    }
    // A need that is ok after something above it changed was checked in another world than this early check.
    if (early && !waitOn && needs.every((need) => clean.has(need))) {
      early.reads.keep();
      return afterEarlyCheck(node, early, log);
    }
    early?.reads.discard();
    if (waitOn?.pendingOn && dryRun) return afterPending(early, waitOn, waitOn.pendingOn);
    if (waitOn) return waitOn;
    if (options.signal.aborted) return interrupted;
    return checkWithNeedsSettled(node, log);
  };

  /**
   * Plan mode, a need would change first. A drift the early check found is a step the run will take: it
   * is listed, counted and shown with its diff, as "after <need>: …". The run checks it again after the
   * need's apply, so anything else (ok now, an error against a world not made yet) stays "would run after".
   */
  const afterPending = (early: EarlyCheck | undefined, waitOn: Outcome, pendingOn: string): Outcome => {
    const result = early && 'result' in early.check ? early.check.result : undefined;
    if (!result || result.converged || result.notApplicable || result.cannotFix) return waitOn;
    const outcome: Outcome = {
      status: 'would-change',
      reason: `after ${pendingOn}: ${result.reason}`,
      pendingOn,
    };
    return { ...withDiff(outcome, result.diff), durationMs: early?.durationMs };
  };

  /** An early check whose needs all came back ok: its result stands; a drift in run mode is applied now. */
  const afterEarlyCheck = async (node: TaskNode, early: EarlyCheck, log: AscLog): Promise<Outcome> => {
    const { check } = early;
    if ('error' in check) return { ...failure(check.error, node, how), durationMs: early.durationMs };
    const judged = judge(check.result, node, how);
    if (judged) return { ...judged, durationMs: early.durationMs };
    return limit(async (): Promise<Outcome> => {
      if (options.signal.aborted) return interrupted;
      const t0 = now();
      const t = cache.settled(contextFor(node, log));
      const outcome = await applyDrift(node, t, check.result as AscDrift, how);
      return settle(node, { ...outcome, durationMs: early.durationMs + now() - t0 });
    });
  };

  const order = selected.map((id) => graph.tasks.get(id)!);
  const logs = new Map<string, LogProxy>();
  for (const node of order) {
    const log = logProxy();
    logs.set(node.id, log);
    const outcome = execute(node, log).then((finished) => {
      settle(node, finished);
      results.set(node.id, toResult(node, finished));
      return finished;
    });
    outcomes.set(node.id, outcome);
  }
  const allTasks = Promise.all(outcomes.values());
  const handlers = notifiedHandlers(graph, order);
  for (const handler of handlers.keys()) logs.set(handler.id, logProxy());

  await renderTree({
    groups: groupByPlugin(order),
    handlers: [...handlers.keys()],
    renderer: options.renderer,
    verbose: options.verbose,
    ...(options.write ? { write: options.write } : {}),
    bindLog: (id, sink) => logs.get(id)?.bind(sink),
    runTask: async (node) => {
      await outcomes.get(node.id);
      return results.get(node.id)!;
    },
    runHandler: async (handler) => {
      await allTasks;
      const notifiers = handlers.get(handler) ?? [];
      const wanted = dryRun ? 'would-change' : 'changed';
      const notice: Notice = {
        notifiedBy: notifiers.filter((id) => results.get(id)?.status === wanted),
        failedNotifiers: notifiers.filter((id) => results.get(id)?.status === 'failed'),
        pending: await pending.get(handler.id),
      };
      const t = cache.settled(contextFor(handler, logs.get(handler.id)!));
      const outcome = await runHandler(
        handler,
        notice,
        { dryRun, verbose: options.verbose },
        options.signal,
        t,
      );
      if (!dryRun && outcome.status === 'changed') await pending.clear([handler.id]);
      const row = toResult(handlerRow(handler), outcome);
      results.set(handler.id, row);
      return row;
    },
  });
  const ordered = [...order, ...handlers.keys()].flatMap((node) => results.get(node.id) ?? []);
  return { results: ordered, durationMs: now() - started, interrupted: options.signal.aborted };
}

interface How {
  dryRun: boolean;
  verbose: boolean;
  beforeApply: (node: TaskNode) => Promise<void> | undefined;
  /** Run mode: may this task be applied? (`--unattended` applies only its targets.) */
  applies: (node: TaskNode) => boolean;
}

/** A check that ran before its needs were settled: what it said (or threw), and what it read. */
interface EarlyCheck {
  reads: EarlyReads;
  check: { result: AscCheckResult } | { error: unknown };
  durationMs: number;
}

/** Check; converged → ok. Plan → the drift. Run → apply, then check again: still drifted is a failure. */
async function checkAndApply(node: TaskNode, t: AscTaskContext, how: How): Promise<Outcome> {
  let before: AscCheckResult;
  try {
    before = await node.check(t);
  } catch (error) {
    return failure(error, node, how);
  }
  return judge(before, node, how) ?? applyDrift(node, t, before as AscDrift, how);
}

/**
 * What a check's result means by itself: ok, not applicable, a drift only the user can fix (failed, in
 * plan mode too), (plan) the drift, or (a task this run does not apply) skipped with the drift;
 * undefined: apply it.
 */
function judge(before: AscCheckResult, node: TaskNode, how: How): Outcome | undefined {
  if (before.converged) return before.reason ? { status: 'ok', reason: before.reason } : { status: 'ok' };
  if (before.notApplicable) return { status: 'skipped', reason: before.reason };
  if (before.cannotFix) return { status: 'failed', reason: withFix(before.reason, before.fix) };
  if (how.dryRun) return withDiff({ status: 'would-change', reason: before.reason }, before.diff);
  if (!how.applies(node))
    return { status: 'skipped', reason: `not applied (only the targets are, unattended): ${before.reason}` };
  return undefined;
}

/** Run mode, a drifted check: mark its handlers pending, apply, check again. */
async function applyDrift(node: TaskNode, t: AscTaskContext, before: AscDrift, how: How): Promise<Outcome> {
  try {
    t.log.debug(`drift: ${before.reason}`);
    await how.beforeApply(node);
    const done = await node.apply(t);
    const after = await node.check(t);
    if (after.notApplicable) return { status: 'skipped', reason: after.reason };
    if (after.cannotFix) return { status: 'failed', reason: withFix(after.reason, after.fix) };
    if (!after.converged) {
      return withDiff({ status: 'failed', reason: `apply did not converge: ${after.reason}` }, after.diff);
    }
    return withDiff({ status: 'changed', reason: done || before.reason }, before.diff);
  } catch (error) {
    return failure(error, node, how);
  }
}

function failure(error: unknown, node: TaskNode, how: Pick<How, 'verbose'>): Outcome {
  return { status: 'failed', reason: describeFailure(error, node, how.verbose) };
}

/** Each handler some selected task notifies, with the ids of those tasks, in declaration order. */
function notifiedHandlers(graph: TaskGraph, order: readonly TaskNode[]): Map<HandlerNode, string[]> {
  const notifiers = new Map<string, string[]>();
  for (const node of order) {
    for (const id of node.notify) {
      const ids = notifiers.get(id);
      if (ids) ids.push(node.id);
      else notifiers.set(id, [node.id]);
    }
  }
  const handlers = new Map<HandlerNode, string[]>();
  for (const handler of graph.handlers.values()) {
    const ids = notifiers.get(handler.id);
    if (ids) handlers.set(handler, ids);
  }
  return handlers;
}

/** Why a handler would run: the tasks that notified it in this run, and whether an earlier run left it pending. */
interface Notice {
  notifiedBy: string[];
  /** Notifiers whose apply failed: the handler waits for a run where they succeed. */
  failedNotifiers: string[];
  pending: PendingHandler | undefined;
}

async function runHandler(
  handler: HandlerNode,
  notice: Notice,
  how: { dryRun: boolean; verbose: boolean },
  signal: AbortSignal,
  t: AscTaskContext,
): Promise<Outcome> {
  const { dryRun } = how;
  const { notifiedBy, failedNotifiers, pending } = notice;
  const since = pending
    ? `pending since ${pending.since} (notified by ${pending.notifiedBy.join(', ')})`
    : '';
  if (notifiedBy.length === 0 && !pending)
    return { status: 'skipped', reason: 'not notified: nothing it watches changed' };
  const reason = notifiedBy.length ? `notified by ${notifiedBy.join(', ')}` : since;
  if (dryRun) {
    return {
      status: 'would-change',
      reason: notifiedBy.length ? `would run: ${reason}` : `handler ${handler.id} is ${since}`,
    };
  }
  if (signal.aborted)
    return { status: 'skipped', reason: 'interrupted before it started; it stays pending for the next run' };
  if (failedNotifiers.length) {
    return {
      status: 'skipped',
      reason: `not run because ${failedNotifiers.join(', ')} failed; it stays pending for the next run`,
    };
  }
  const t0 = now();
  try {
    await handler.run(t);
    return { status: 'changed', reason, durationMs: now() - t0 };
  } catch (error) {
    return {
      status: 'failed',
      reason: `${describeFailure(error, handler, how.verbose)}\n(it stays pending: the next run runs it again)`,
      durationMs: now() - t0,
    };
  }
}

/** The fields of a result row a handler shares with a task. */
function handlerRow(handler: HandlerNode): Pick<TaskNode, 'id' | 'plugin' | 'phase' | 'title'> {
  return { id: handler.id, plugin: handler.plugin, phase: undefined, title: handler.title };
}

/** A reason with the user's fix on its own line, as an AscError's hint is shown. */
function withFix(reason: string, fix: string): string {
  return `${reason}\n  hint: ${fix}`;
}

function withDiff(outcome: Outcome, diff: string | undefined): Outcome {
  return diff === undefined ? outcome : { ...outcome, diff };
}

function toResult(
  node: Pick<TaskNode, 'id' | 'plugin' | 'phase' | 'title'>,
  outcome: Outcome,
): AscTaskResult {
  return {
    id: node.id,
    plugin: node.plugin,
    phase: node.phase,
    title: node.title,
    status: outcome.status,
    reason: outcome.reason,
    diff: outcome.diff,
    durationMs: Math.round(outcome.durationMs ?? 0),
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
