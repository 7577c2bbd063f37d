import type { AscParsedConfig } from './config/validate.ts';
import { AscError } from './errors.ts';
import type { EnabledPlugin } from './plugins.ts';
import type { DoctorNode, HandlerNode, TaskNode } from './task-node.ts';
import type { AscPluginContext, AscResolvedConfig, AscTask, AscToolHint } from './types.ts';
import { userTasks } from './user-tasks.ts';
import { type AscVmSpec, createVmSpec, freezeVmSpec } from './vm-spec.ts';

export interface Collected {
  vm: Readonly<AscVmSpec>;
  tasks: TaskNode[];
  handlers: HandlerNode[];
  /** Every plugin's `asc doctor` rows. */
  doctor: DoctorNode[];
  /** Every plugin's `asc uninstall` tasks (their own id space). */
  uninstall: TaskNode[];
  /** Install hints by program, from every plugin's `tools`. */
  tools: Record<string, AscToolHint>;
  /** Guest fact scripts keyed `<plugin>.<fact>`. */
  guestFacts: Record<string, string>;
}

/** Run every plugin's `vm` hook into one spec, then collect their tasks, handlers and the user's tasks. */
export function collectTasks(
  plugins: readonly EnabledPlugin[],
  parsed: AscParsedConfig,
  config: AscResolvedConfig,
  home: string,
): Collected {
  const draft = createVmSpec();
  for (const { plugin, options } of plugins) {
    if (!plugin.vm) continue;
    guardPlugin(plugin.name, 'vm', () => plugin.vm?.(draft, options, { config, home, vm: draft }));
  }
  const vm = freezeVmSpec(draft);
  const ctx: AscPluginContext = { config, home, vm };
  const tasks: TaskNode[] = [];
  const handlers: HandlerNode[] = [];
  const doctor: DoctorNode[] = [];
  const uninstall: TaskNode[] = [];
  const tools: Record<string, AscToolHint> = {};
  const guestFacts: Record<string, string> = {};
  for (const { plugin, options } of plugins) {
    Object.assign(tools, plugin.tools);
    for (const [name, script] of Object.entries(plugin.guestFacts ?? {}))
      guestFacts[`${plugin.name}.${name}`] = script;
    for (const task of guardPlugin(plugin.name, 'tasks', () => plugin.tasks(options, ctx)))
      tasks.push(taskNode(plugin.name, task));
    for (const task of guardPlugin(plugin.name, 'uninstall', () => plugin.uninstall?.(options, ctx) ?? []))
      uninstall.push(taskNode(plugin.name, task, 'uninstall'));
    for (const check of guardPlugin(plugin.name, 'doctor', () => plugin.doctor?.(options, ctx) ?? [])) {
      const id = `${plugin.name}.${check.id}`;
      doctor.push({ id, plugin: plugin.name, title: check.title ?? id, run: check.run });
    }
    for (const handler of guardPlugin(plugin.name, 'handlers', () => plugin.handlers?.(options, ctx) ?? [])) {
      const id = `${plugin.name}.${handler.id}`;
      handlers.push({ id, plugin: plugin.name, title: handler.title ?? id, run: handler.run });
    }
  }
  tasks.push(...userTasks(parsed.tasks, config));
  return { vm, tasks, handlers, doctor, uninstall, tools, guestFacts };
}

function taskNode(plugin: string, task: AscTask, hook = 'tasks'): TaskNode {
  const id = `${plugin}.${task.id}`;
  return {
    id,
    plugin,
    title: task.title ?? id,
    phase: task.phase,
    needs: task.needs ?? [],
    notify: task.notify ?? [],
    check: task.check,
    apply: task.apply,
    source: hook === 'tasks' ? `plugin ${plugin}` : `plugin ${plugin} (${hook})`,
  };
}

function guardPlugin<T>(name: string, hook: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof AscError) throw error;
    throw new AscError(`plugin ${name}: its ${hook} hook threw: ${(error as Error).message}`, {
      code: 'E_PLUGIN_INVALID',
      cause: error,
    });
  }
}
