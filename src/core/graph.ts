import { distance } from 'fastest-levenshtein';
import type { Collected } from './collect.ts';
import { AscError } from './errors.ts';
import type { HandlerNode, TaskNode } from './task-node.ts';

/** The phases asc knows even when no task uses them: phase1 (the VM and WezTerm) … phase6 (NixOS). */
export const KNOWN_PHASES = ['phase1', 'phase2', 'phase3', 'phase4', 'phase5', 'phase6'];

export interface TaskGraph {
  /** Every task, in declaration order. */
  tasks: ReadonlyMap<string, TaskNode>;
  /** Direct needs of each task, globs resolved to ids. */
  needs: ReadonlyMap<string, readonly string[]>;
  handlers: ReadonlyMap<string, HandlerNode>;
  phases: readonly string[];
  /** Plugins and user-task groups that have tasks. */
  groups: readonly string[];
}

const isGlob = (text: string) => /[*?[\]{}!]/.test(text);

type Compile = (glob: string) => (id: string) => boolean;

/** picomatch, once `loadGlobs` has seen a glob: a run whose needs and targets are plain ids never parses it. */
let compile: Compile | undefined;

/** Load the glob matcher when one of `patterns` (needs, targets) is a glob; before `buildGraph`/`selectTasks`. */
export async function loadGlobs(patterns: Iterable<string>): Promise<void> {
  if (compile) return;
  for (const pattern of patterns) {
    if (!isGlob(pattern)) continue;
    compile = (await import('picomatch')).default;
    return;
  }
}

/** picomatch's matcher takes extra arguments, so never hand it to Array#filter directly. */
function matching(ids: readonly string[], glob: string): string[] {
  if (!compile) throw new Error(`internal error: the glob "${glob}" was matched before loadGlobs()`);
  const match = compile(glob);
  return ids.filter((id) => match(id));
}

/** Check ids, needs, notifies and cycles; every error names the tasks involved. */
export function buildGraph(collected: Pick<Collected, 'tasks' | 'handlers'>): TaskGraph {
  const tasks = new Map<string, TaskNode>();
  for (const task of collected.tasks) {
    const other = tasks.get(task.id);
    if (other) {
      throw new AscError(
        `duplicate task id "${task.id}": declared by ${other.source} and by ${task.source}`,
        {
          code: 'E_TASK_DUPLICATE',
          hint: 'give each task its own id',
        },
      );
    }
    tasks.set(task.id, task);
  }
  const handlers = new Map(collected.handlers.map((handler) => [handler.id, handler]));
  const ids = [...tasks.keys()];
  const needs = new Map<string, string[]>();
  for (const task of tasks.values()) {
    const resolved = new Set<string>();
    for (const need of task.needs) {
      const matches = isGlob(need) ? matching(ids, need) : tasks.has(need) ? [need] : [];
      if (matches.length === 0) {
        throw new AscError(
          `task ${task.id} (${task.source}) needs "${need}", which no enabled plugin or task declares`,
          {
            code: 'E_NEED_UNKNOWN',
            hint: `run \`asc list\` to see the task ids; enable the plugin that provides it, or fix the need`,
          },
        );
      }
      for (const id of matches) if (id !== task.id) resolved.add(id);
    }
    needs.set(task.id, [...resolved]);
    for (const handler of task.notify) {
      if (!handlers.has(handler)) {
        throw new AscError(
          `task ${task.id} notifies "${handler}", which is not a handler of any enabled plugin`,
          {
            code: 'E_NEED_UNKNOWN',
          },
        );
      }
    }
  }
  rejectCycles(ids, needs);
  const phases = [
    ...new Set([...KNOWN_PHASES, ...[...tasks.values()].flatMap((t) => (t.phase ? [t.phase] : []))]),
  ];
  const groups = [...new Set([...tasks.values()].map((task) => task.plugin))];
  return { tasks, needs, handlers, phases, groups };
}

/**
 * The ids a command works on: each target (`all`, a phase, a plugin or group, an id, a glob) plus
 * everything they need, in an order where needs come first.
 */
export function selectTasks(
  graph: TaskGraph,
  targets: readonly string[],
  knownPlugins: readonly string[] = [],
  /** The plugins (not enabled now) whose tasks are in a phase: named when that phase selects nothing. */
  providersOf?: (phase: string) => { name: string; enable: string }[],
): string[] {
  const ids = [...graph.tasks.keys()];
  const chosen = matchTargets(graph, targets, knownPlugins, providersOf);
  const ordered: string[] = [];
  const visited = new Set<string>();
  const visit = (id: string) => {
    if (visited.has(id)) return;
    visited.add(id);
    for (const need of graph.needs.get(id) ?? []) visit(need);
    ordered.push(id);
  };
  for (const id of ids) if (chosen.has(id)) visit(id);
  return ordered;
}

/** The tasks the targets name themselves, without their needs; an unknown target or an empty phase throws. */
export function matchTargets(
  graph: TaskGraph,
  targets: readonly string[],
  knownPlugins: readonly string[] = [],
  providersOf?: (phase: string) => { name: string; enable: string }[],
): Set<string> {
  const ids = [...graph.tasks.keys()];
  const chosen = new Set<string>();
  for (const target of targets.length === 0 ? ['all'] : targets) {
    let matches: string[];
    if (target === 'all') matches = ids;
    else if (graph.phases.includes(target))
      matches = ids.filter((id) => graph.tasks.get(id)?.phase === target);
    else if (graph.groups.includes(target))
      matches = ids.filter((id) => graph.tasks.get(id)?.plugin === target);
    else if (graph.tasks.has(target)) matches = [target];
    else if (isGlob(target)) matches = matching(ids, target);
    else matches = [];
    if (matches.length === 0 && target !== 'all') {
      if (!graph.phases.includes(target)) throw unknownTarget(graph, target, knownPlugins);
      // A phase with no task is not "converged (0 ok)": a go-task status: line would skip its work forever.
      if (providersOf) throw emptyPhase(target, providersOf(target));
    }
    for (const id of matches) chosen.add(id);
  }
  return chosen;
}

function emptyPhase(phase: string, providers: { name: string; enable: string }[]): AscError {
  if (providers.length === 0) {
    return new AscError(
      `no task is in ${phase}: no enabled plugin has one, and no task of yours says \`phase: ${phase}\``,
      {
        code: 'E_TARGET_EMPTY',
        hint: `add your own tasks to it (\`tasks:\` with \`phase: ${phase}\`), or leave ${phase} out of the command`,
      },
    );
  }
  const names = providers.map(({ name }) => `\`${name}\``).join(', ');
  return new AscError(
    `no enabled plugin has a task in ${phase}: ${names} would (${providers.length > 1 ? 'they are' : 'it is'} not enabled)`,
    {
      code: 'E_TARGET_EMPTY',
      hint: `enable ${providers.length > 1 ? 'them' : 'it'} under \`plugins:\` in your config (${providers.map(({ enable }) => `\`${enable}\``).join(', ')}), or leave ${phase} out of the command`,
    },
  );
}

function unknownTarget(graph: TaskGraph, target: string, knownPlugins: readonly string[]): AscError {
  if (knownPlugins.includes(target)) {
    return new AscError(`target "${target}": the ${target} plugin is not enabled`, {
      code: 'E_TARGET_UNKNOWN',
      hint: `enable it with \`${target}: {}\` under \`plugins:\` in your config (asc init writes a starter)`,
    });
  }
  const near = [...graph.groups, ...graph.phases, ...graph.tasks.keys()].filter((name) =>
    close(name, target),
  );
  return new AscError(`unknown target "${target}"`, {
    code: 'E_TARGET_UNKNOWN',
    hint: `${near.length ? `did you mean ${near.slice(0, 3).join(', ')}? ` : ''}a target is all, a phase (${graph.phases.join(', ')}), a plugin, a task id or a glob; \`asc list\` shows them`,
  });
}

/** Edit distance ≤ 2, or one contains the other: enough for "did you mean". */
function close(a: string, b: string): boolean {
  return a.includes(b) || b.includes(a) || distance(a, b) <= 2;
}

function rejectCycles(ids: readonly string[], needs: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of needs.get(id) ?? []) {
      const seen = state.get(need);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(need)), need];
        throw new AscError(`dependency cycle: ${cycle.join(' → ')}`, {
          code: 'E_CYCLE',
          hint: 'each arrow is a `needs` entry; remove one of them',
        });
      }
      if (seen === undefined) visit(need);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (!state.has(id)) visit(id);
}
