import type { ListrTask } from 'listr2';
import type { HandlerNode, TaskNode } from './task-node.ts';
import { firstLine } from './text.ts';
import type { AscLog, AscTaskResult } from './types.ts';

export interface TreeSpec {
  /** Tasks grouped by plugin (or user-task group), in run order. */
  groups: ReadonlyMap<string, readonly TaskNode[]>;
  /** Handlers some selected task notifies, in the order they run. */
  handlers: readonly HandlerNode[];
  /** `tree`: listr2 at a TTY; `plain`: one line per finished task; `silent`: nothing (--json). */
  renderer: 'tree' | 'plain' | 'silent';
  verbose: boolean;
  /** Where plain lines go. */
  write?: (line: string) => void;
  /** Connect a task's log to the line under it in the tree. */
  bindLog(id: string, log: AscLog): void;
  /** Resolves when the task is done; the engine, not listr2, decides order and concurrency. */
  runTask(node: TaskNode): Promise<AscTaskResult>;
  /** Resolves when the handler is done; it starts only after every task. */
  runHandler(handler: HandlerNode): Promise<AscTaskResult>;
}

/**
 * listr2 is only the view: plugins are parents, tasks their children, all "concurrent" so each row shows
 * as soon as the engine starts it. Without a TTY, one plain line per finished task; with --json, nothing.
 */
export async function renderTree(spec: TreeSpec): Promise<void> {
  const nodes = [...spec.groups.values()].flat();
  if (spec.renderer !== 'tree') {
    const write = spec.renderer === 'plain' ? spec.write : undefined;
    if (write) {
      for (const { id } of [...nodes, ...spec.handlers]) spec.bindLog(id, plainLog(id, write, spec.verbose));
    }
    const print = (result: AscTaskResult) => write?.(plainLine(result, spec.verbose));
    await Promise.all(nodes.map(async (node) => print(await spec.runTask(node))));
    for (const handler of spec.handlers) print(await spec.runHandler(handler));
    return;
  }
  // What each row came out as, by listr2 task id: the marks are asc's own (see markOf).
  const statuses = new Map<string, AscTaskResult['status']>();
  const settle = (task: { task: { id: string } } & TaskView, result: AscTaskResult) => {
    statuses.set(task.task.id, result.status);
    show(task, result, spec.verbose);
  };
  const parents: ListrTask[] = [...spec.groups.entries()].map(([plugin, members]) => ({
    title: plugin,
    task: (_ctx, parent) =>
      parent.newListr(
        members.map((node) => ({
          title: label(node.title, node.id),
          task: async (_c, task) => {
            spec.bindLog(node.id, treeLog(task, spec.verbose));
            settle(task, await spec.runTask(node));
          },
        })),
        { concurrent: true, exitOnError: false },
      ),
  }));
  if (spec.handlers.length > 0) {
    parents.push({
      title: 'handlers',
      task: (_ctx, parent) =>
        parent.newListr(
          spec.handlers.map((handler) => ({
            title: label(handler.title, handler.id),
            task: async (_c, task) => {
              spec.bindLog(handler.id, treeLog(task, spec.verbose));
              settle(task, await spec.runHandler(handler));
            },
          })),
          { concurrent: false, exitOnError: false },
        ),
    });
  }
  const { Listr, DefaultRenderer, color } = await import('listr2');
  /**
   * listr2's tree with asc's marks: a task that would change is `~`, not `✔`; a plugin whose task failed
   * is `✖`, and one whose task would change is `~`, where listr2 would draw a completed parent `✔` (or `⚠`).
   */
  class AscTreeRenderer extends DefaultRenderer {
    protected override style(task: ListrRendererTaskLike, output = false): string {
      const mark = output ? undefined : markOf(task);
      if (mark === 'failed') return color.red(MARK.failed);
      if (mark === 'would-change') return color.yellow(MARK['would-change']);
      return super.style(task as never, output);
    }
  }
  const markOf = (task: ListrRendererTaskLike): AscTaskResult['status'] | undefined => {
    if (!task.isCompleted()) return undefined;
    const own = task.hasSubtasks()
      ? task.subtasks.map((child) => statuses.get(child.id))
      : [statuses.get(task.id)];
    if (own.includes('failed')) return 'failed';
    if (own.includes('would-change')) return 'would-change';
    return undefined;
  };
  const list = new Listr(parents, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    renderer: AscTreeRenderer,
    fallbackRenderer: 'simple',
    rendererOptions: {
      collapseSubtasks: false,
      collapseErrors: false,
      showSkipMessage: true,
      collapseSkips: false,
    },
  });
  await list.run();
}

/** The parts of a listr2 task the marks look at. */
interface ListrRendererTaskLike {
  id: string;
  subtasks: ListrRendererTaskLike[];
  isCompleted(): boolean;
  hasSubtasks(): boolean;
}

interface TaskView {
  title: string | undefined;
  output: string | undefined;
  skip(message?: string): void;
}

/** A task's log as the line under its row. */
function treeLog(task: { output: string | undefined }, verbose: boolean): AscLog {
  return {
    info: (message) => {
      task.output = message;
    },
    warn: (message) => {
      task.output = `warning: ${message}`;
    },
    debug: (message) => {
      if (verbose) task.output = message;
    },
  };
}

/** A task's log as indented lines among the plain output. */
function plainLog(id: string, write: (line: string) => void, verbose: boolean): AscLog {
  return {
    info: (message) => write(`  ${id}: ${message}`),
    warn: (message) => write(`  ${id}: warning: ${message}`),
    debug: (message) => {
      if (verbose) write(`  ${id}: ${message}`);
    },
  };
}

function show(task: TaskView, result: AscTaskResult, verbose: boolean): void {
  const base = label(result.title, result.id);
  switch (result.status) {
    case 'ok':
      task.title = verbose && result.reason ? `${base} (${result.reason})` : base;
      return;
    case 'changed':
      task.title = `${base}: changed`;
      return;
    case 'would-change':
      task.title = `${base}: would change (${result.reason})`;
      return;
    case 'skipped':
      task.title = base;
      task.skip(result.reason);
      return;
    case 'failed':
      task.title = base;
      throw new Error(firstLine(result.reason ?? 'failed'));
  }
}

const MARK: Record<AscTaskResult['status'], string> = {
  ok: '✔',
  changed: '✔',
  'would-change': '~',
  failed: '✖',
  skipped: '↓',
};

/** `✔ demo.b: changed`, `✖ other.fail: failed: Command failed …` (later lines indented). */
export function plainLine(result: AscTaskResult, verbose = false): string {
  const status = result.status === 'would-change' ? 'would change' : result.status;
  const quiet = result.status === 'ok' || result.status === 'changed';
  const reason = result.reason && (!quiet || verbose) ? `: ${result.reason}` : '';
  return `${MARK[result.status]} ${label(result.title, result.id)}: ${status}${reason}`.replaceAll(
    '\n',
    '\n    ',
  );
}

function label(title: string, id: string): string {
  return title === id ? id : `${title} (${id})`;
}
