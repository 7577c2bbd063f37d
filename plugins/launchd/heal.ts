import { type AscAgent, type AscPluginContext, everyMinutes } from '../../src/index.ts';
import type { LaunchdOptions } from './options.ts';

/**
 * The tasks that re-create a socket forward that a sleep of the Mac killed (decision 21), by the plugin that
 * has them. Plugins name each other's tasks as needs do; the heal agent runs those of the enabled plugins.
 */
export const HEALERS: Readonly<Record<string, readonly string[]>> = {
  docker: ['docker.works'],
  onepassword: ['onepassword.agent-works'],
};

/** The targets the heal agent runs: the option's, or the enabled plugins' healers; [] means no agent. */
export function healTargets(options: LaunchdOptions, plugins: readonly string[]): string[] {
  if (!options.heal.enabled) return [];
  if (options.heal.targets) return [...options.heal.targets];
  return plugins.flatMap((name) => HEALERS[name] ?? []);
}

/**
 * The launchd plugin's own agent, through the same hook as any plugin's: `asc run --unattended` of the
 * healing tasks, every `heal.every` minutes on the clock. It gives way to a run that holds the lock, leaves a
 * stopped VM stopped (needs are checked, never applied), and writes to its log only what changed or failed.
 */
export function launchdAgents(options: LaunchdOptions, ctx: AscPluginContext): AscAgent[] {
  const targets = healTargets(options, ctx.plugins ?? []);
  if (targets.length === 0) return [];
  return [
    {
      id: 'heal',
      title: `heal the VM's socket forwards (${targets.join(', ')})`,
      args: ['run', ...targets, '--unattended'],
      schedule: everyMinutes(options.heal.every),
    },
  ];
}
