import { checkAgents } from './agents.ts';
import type { AscParsedConfig } from './config/validate.ts';
import { AscError } from './errors.ts';
import type { EnabledPlugin } from './plugins.ts';
import type { DoctorNode, HandlerNode, TaskNode } from './task-node.ts';
import type { AscAgentSpec, AscPluginContext, AscResolvedConfig, AscTask } from './types.ts';
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
  /** What `asc uninstall` leaves on purpose: every plugin's `kept` lines, in plugin order. */
  kept: string[];
  /** Install hints by program, from every plugin's `tools`. */
  tools: Record<string, { install: string }>;
  /** Guest fact scripts keyed `<plugin>.<fact>`. */
  guestFacts: Record<string, string>;
  /** Every plugin's scheduled runs of asc, for the launchd plugin to register. */
  agents: readonly AscAgentSpec[];
}

/** Run every plugin's `vm` hook into one spec, then collect their tasks, handlers and the user's tasks. */
export function collectTasks(
  plugins: readonly EnabledPlugin[],
  parsed: AscParsedConfig,
  config: AscResolvedConfig,
  home: string,
): Collected {
  const draft = createVmSpec();
  const names = plugins.map(({ plugin }) => plugin.name);
  const early = { config, home, plugins: names, agents: [] };
  for (const { plugin, options } of plugins) {
    if (!plugin.vm) continue;
    guardPlugin(plugin.name, 'vm', () => plugin.vm?.(draft, options, { ...early, vm: draft }));
  }
  const vm = freezeVmSpec(draft);
  const agents: AscAgentSpec[] = [];
  for (const { plugin, options } of plugins) {
    const asked = guardPlugin(plugin.name, 'agents', () => plugin.agents?.(options, { ...early, vm }) ?? []);
    agents.push(...checkAgents(plugin.name, asked));
  }
  const ctx: AscPluginContext = { config, home, vm, plugins: names, agents: Object.freeze(agents) };
  const tasks: TaskNode[] = [];
  const handlers: HandlerNode[] = [];
  const doctor: DoctorNode[] = [];
  const uninstall: TaskNode[] = [];
  const kept: string[] = [];
  const tools: Record<string, { install: string }> = {};
  const guestFacts: Record<string, string> = {};
  for (const { plugin, options } of plugins) {
    Object.assign(tools, plugin.tools);
    for (const [name, script] of Object.entries(plugin.guestFacts ?? {}))
      guestFacts[`${plugin.name}.${name}`] = script;
    for (const task of guardPlugin(plugin.name, 'tasks', () => plugin.tasks(options, ctx)))
      tasks.push(taskNode(plugin.name, task));
    for (const task of guardPlugin(plugin.name, 'uninstall', () => plugin.uninstall?.(options, ctx) ?? []))
      uninstall.push(taskNode(plugin.name, task, 'uninstall'));
    kept.push(...guardPlugin(plugin.name, 'kept', () => plugin.kept?.(options, ctx) ?? []));
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
  return { vm, tasks, handlers, doctor, uninstall, kept, tools, guestFacts, agents };
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
