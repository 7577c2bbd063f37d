import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
import { weztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks, weztermUninstall } from './tasks.ts';

/**
 * WezTerm reaches the VM: asc writes one Lua module of its own, `ascalon.lua`, which adds the SSH domain
 * `domain` (through Lima's `lima-<instance>` alias) and the keys to the final config table, and makes one
 * edit in the user's config: its final `return` calls the module. Then it runs their deploy command once.
 */
export const weztermPlugin = definePlugin({
  name: 'wezterm',
  description: 'WezTerm: the SSH domain of the VM and its keys, from a Lua module your config calls',
  options: weztermOptions,
  tasks: (options, ctx) => weztermTasks(options, ctx),
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => weztermDoctor(options, ctx.config.instance),
  uninstall: (options) => weztermUninstall(options),
  kept: (options) => [
    `your WezTerm Lua ${options.configFile} and the files it loads, but ascalon.lua: your files, asc never deletes them`,
  ],
});
