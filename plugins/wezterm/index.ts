import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
import { weztermAbout } from './entry.ts';
import type { WeztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks } from './tasks.ts';

/**
 * WezTerm reaches the VM: the `ssh_domains` entry named `domain` goes through Lima's `lima-<instance>`
 * alias, and the keys open the launcher and new tabs in it. asc edits the user's own Lua files at the
 * spans a Lua parser names, and runs their deploy command once afterwards.
 */
export const weztermPlugin = definePlugin<WeztermOptions>({
  ...weztermAbout,
  tasks: (options, ctx) => weztermTasks(options, ctx),
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => weztermDoctor(options, ctx.config.instance),
});
