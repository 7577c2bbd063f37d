import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
import { weztermAbout } from './entry.ts';
import type { WeztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks, weztermUninstall } from './tasks.ts';

/**
 * WezTerm reaches the VM: asc writes one Lua module of its own, `ascalon.lua`, which adds the SSH domain
 * `domain` (through Lima's `lima-<instance>` alias) and the keys to the final config table, and makes one
 * edit in the user's config: its final `return` calls the module. Then it runs their deploy command once.
 */
export const weztermPlugin = definePlugin<WeztermOptions>({
  ...weztermAbout,
  tasks: (options, ctx) => weztermTasks(options, ctx),
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => weztermDoctor(options, ctx.config.instance),
  uninstall: (options) => weztermUninstall(options),
});
