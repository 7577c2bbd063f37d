import { describeSchedule } from '../core/agents.ts';
import type { GlobalOptions } from './io.ts';
import { type CommandEnv, openSession } from './session.ts';

/** `asc list`: plugins (enabled or not), phases, and every task with its needs. */
export async function list(options: GlobalOptions, ctx: CommandEnv): Promise<number> {
  const { io, session } = await openSession(options, ctx);
  const enabled = new Map(session.plugins.map((p) => [p.plugin.name, p]));
  const plugins = [
    ...session.builtins.map((plugin) => ({
      name: plugin.name,
      enabled: enabled.has(plugin.name),
      optIn: plugin.optIn === true,
      builtin: true,
      description: plugin.description ?? '',
    })),
    ...session.plugins
      .filter((p) => !p.builtin)
      .map((p) => ({
        name: p.plugin.name,
        enabled: true,
        optIn: false,
        builtin: false,
        description: p.plugin.description ?? p.key,
      })),
  ];
  const tasks = [...session.graph.tasks.values()].map((task) => ({
    id: task.id,
    plugin: task.plugin,
    phase: task.phase ?? null,
    title: task.title,
    needs: session.graph.needs.get(task.id) ?? [],
  }));
  const phases = session.graph.phases.map((name) => ({
    name,
    tasks: tasks.filter((task) => task.phase === name).map((task) => task.id),
  }));
  const handlers = [...session.graph.handlers.values()].map((h) => ({
    id: h.id,
    plugin: h.plugin,
    title: h.title,
  }));
  const registered = enabled.has('launchd');
  const agents = session.collected.agents.map((agent) => ({
    id: `${agent.plugin}.${agent.id}`,
    plugin: agent.plugin,
    title: agent.title,
    schedule: describeSchedule(agent.schedule),
    args: agent.args,
    registered,
  }));
  if (io.json) {
    io.document(
      JSON.stringify(
        { config: session.loaded.file ?? null, plugins, phases, tasks, handlers, agents },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(`config: ${session.loaded.file ?? '(none: built-in defaults)'}`);
  io.out('\nplugins:');
  for (const p of plugins) {
    io.out(
      `  ${p.name.padEnd(14)} ${(p.enabled ? 'enabled' : p.optIn ? 'disabled (opt-in)' : 'disabled').padEnd(17)} ${p.description}`.trimEnd(),
    );
  }
  io.out('\nphases:');
  for (const phase of phases) io.out(`  ${phase.name.padEnd(14)} ${phase.tasks.length} task(s)`);
  io.out('\ntasks:');
  const width = Math.max(10, ...tasks.map((task) => task.id.length));
  for (const task of tasks) {
    const needs = task.needs.length ? `needs ${task.needs.join(', ')}` : '';
    io.out(`  ${task.id.padEnd(width)}  ${(task.phase ?? '-').padEnd(8)} ${needs}`.trimEnd());
  }
  if (handlers.length) {
    io.out('\nhandlers:');
    for (const h of handlers) io.out(`  ${h.id}`);
  }
  if (agents.length) {
    io.out(
      registered
        ? '\nagents (LaunchAgents, by the launchd plugin):'
        : '\nagents (not registered: the launchd plugin is off):',
    );
    for (const a of agents) io.out(`  ${a.id}  ${a.schedule}: asc ${a.args.join(' ')}`);
  }
  return 0;
}
