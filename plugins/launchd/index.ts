import { definePlugin } from '../../src/index.ts';
import { launchdDoctor } from './doctor.ts';
import { launchdAbout } from './entry.ts';
import type { LaunchdOptions } from './options.ts';
import { launchdTasks } from './tasks.ts';
import { launchdUninstall } from './uninstall.ts';

/**
 * The VM starts by itself at login, through exactly one registration: Lima's own autostart (`limactl
 * autostart enable`, or `start-at-login` before Lima 2.2), or asc's LaunchAgent `io.lima.<instance>` running
 * `limactl start <instance> --foreground` on an older Lima. A common hand-made plist, or the other mode's
 * registration, is unloaded, backed up outside ~/Library/LaunchAgents and removed.
 */
export const launchdPlugin = definePlugin<LaunchdOptions>({
  ...launchdAbout,
  tools: {
    launchctl: { install: 'it ships with macOS (/bin/launchctl)' },
    plutil: { install: 'it ships with macOS (/usr/bin/plutil)' },
  },
  tasks: (options, ctx) => launchdTasks(options, ctx.config.instance),
  doctor: (options, ctx) => launchdDoctor(options, ctx.config.instance),
  uninstall: (_options, ctx) => launchdUninstall(ctx.config.instance),
});
