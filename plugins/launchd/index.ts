import { definePlugin } from '../../src/index.ts';
import { agentsTask, agentsUninstall } from './agents.ts';
import { agentsDoctor } from './agents-doctor.ts';
import { launchdDoctor } from './doctor.ts';
import { launchdAbout } from './entry.ts';
import { launchdAgents } from './heal.ts';
import type { LaunchdOptions } from './options.ts';
import { launchdTasks } from './tasks.ts';
import { launchdUninstall } from './uninstall.ts';

/**
 * The VM starts by itself at login, through exactly one registration: Lima's own autostart (`limactl
 * autostart enable`, or `start-at-login` before Lima 2.2), or asc's LaunchAgent `io.lima.<instance>` running
 * `limactl start <instance> --foreground` on an older Lima. A common hand-made plist, or the other mode's
 * registration, is unloaded, backed up outside ~/Library/LaunchAgents and removed. Beside it, every plugin's
 * agents (scheduled runs of asc, the heal agent among them) become LaunchAgents `io.ascalon.<instance>.*`.
 */
export const launchdPlugin = definePlugin<LaunchdOptions>({
  ...launchdAbout,
  tools: {
    launchctl: { macOS: '/bin/launchctl' },
    plutil: { macOS: '/usr/bin/plutil' },
  },
  agents: launchdAgents,
  tasks: (options, ctx) => [...launchdTasks(options, ctx.config.instance), agentsTask(ctx.agents ?? [])],
  doctor: (options, ctx) => [
    ...launchdDoctor(options, ctx.config.instance),
    ...agentsDoctor(ctx.agents ?? []),
  ],
  uninstall: (_options, ctx) => [...launchdUninstall(ctx.config.instance), agentsUninstall()],
  kept: (_options, ctx) =>
    ctx.agents?.length
      ? ["the logs of asc's scheduled agents, ~/Library/Logs/asc: `rm -rf ~/Library/Logs/asc`"]
      : [],
});
