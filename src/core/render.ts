import type { ListrTask } from 'listr2';
import type { HandlerNode, TaskNode } from './collect.ts';
import type { AscLog, AscTaskResult } from './types.ts';

export interface TreeSpec {
  /** Tasks grouped by plugin (or user-task group), in run order. */
  groups: ReadonlyMap<string, readonly TaskNode[]>;
  handlers: readonly { handler: HandlerNode; notifiedBy: () => Promise<string[]> }[];
  /** `tree`: listr2 at a TTY; `plain`: one line per finished task; `silent`: nothing (--json). */
  renderer: 'tree' | 'plain' | 'silent';
  verbose: boolean;
  /** Where plain lines go. */
  write?: (line: string) => void;
  /** Connect a task's log to the line under it in the tree. */
  bindLog(id: string, log: AscLog): void;
  /** Resolves when the task is done; the engine, not listr2, decides order and concurrency. */
  runTask(node: TaskNode): Promise<AscTaskResult>;
  runHandler(handler: HandlerNode, notifiedBy: string[]): Promise<AscTaskResult>;
}

/**
 * listr2 is only the view: plugins are parents, tasks their children, all "concurrent" so each row shows
 * as soon as the engine starts it. With `silent` (--json) no listr2 is built at all.
 */
export async function renderTree(spec: TreeSpec): Promise<void> {
  if (spec.renderer !== 'tree') {
    const write = spec.renderer === 'plain' ? (spec.write ?? (() => {})) : undefined;
    const print = (result: AscTaskResult) => write?.(plainLine(result));
    if (write) {
      for (const node of [...spec.groups.values()].flat()) {
        spec.bindLog(node.id, {
          info: (message) => write(`  ${node.id}: ${message}`),
          warn: (message) => write(`  ${node.id}: warning: ${message}`),
          debug: (message) => (spec.verbose ? write(`  ${node.id}: ${message}`) : undefined),
        });
      }
    }
    await Promise.all([...spec.groups.values()].flat().map(async (node) => print(await spec.runTask(node))));
    for (const { handler, notifiedBy } of spec.handlers)
      print(await spec.runHandler(handler, await notifiedBy()));
    return;
  }
  const parents: ListrTask[] = [...spec.groups.entries()].map(([plugin, nodes]) => ({
    title: plugin,
    task: (_ctx, parent) =>
      parent.newListr(
        nodes.map((node) => ({
          title: label(node.title, node.id),
          task: async (_c, task) => {
            spec.bindLog(node.id, {
              info: (message) => {
                task.output = message;
              },
              warn: (message) => {
                task.output = `warning: ${message}`;
              },
              debug: (message) => {
                if (spec.verbose) task.output = message;
              },
            });
            const result = await spec.runTask(node);
            show(task, result);
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
          spec.handlers.map(({ handler, notifiedBy }) => ({
            title: label(handler.title, handler.id),
            task: async (_c, task) => show(task, await spec.runHandler(handler, await notifiedBy())),
          })),
          { concurrent: false, exitOnError: false },
        ),
    });
  }
  const { Listr } = await import('listr2');
  const list = new Listr(parents, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    renderer: 'default',
    fallbackRenderer: 'simple',
    rendererOptions: {
      collapseSubtasks: false,
      collapseErrors: false,
      showSkipMessage: true,
      collapseSkips: false,
    },
  });
  // A handler waits inside runHandler for the tasks that notify it, so its row may start early.
  await list.run();
}

interface TaskView {
  title: string | undefined;
  skip(message?: string): void;
}

function show(task: TaskView, result: AscTaskResult): void {
  const base = label(result.title, result.id);
  switch (result.status) {
    case 'ok':
      task.title = base;
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
export function plainLine(result: AscTaskResult): string {
  const status = result.status === 'would-change' ? 'would change' : result.status;
  const reason =
    result.reason && result.status !== 'ok' && result.status !== 'changed' ? `: ${result.reason}` : '';
  return `${MARK[result.status]} ${label(result.title, result.id)}: ${status}${reason}`.replaceAll(
    '\n',
    '\n    ',
  );
}

function label(title: string, id: string): string {
  return title === id ? id : `${title} (${id})`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
