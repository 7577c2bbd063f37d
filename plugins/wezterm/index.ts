import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
import { weztermAbout } from './entry.ts';
import { muxTasks } from './mux.ts';
import { muxDoctor } from './mux-doctor.ts';
import { MUX_SCRIPT } from './mux-guest.ts';
import { muxUninstall } from './mux-uninstall.ts';
import type { WeztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks, weztermUninstall } from './tasks.ts';

/**
 * WezTerm reaches the VM: asc writes one Lua module of its own, `ascalon.lua`, which adds the SSH domain
 * `domain` (through Lima's `lima-<instance>` alias) and the keys to the final config table, and makes one
 * edit in the user's config: its final `return` calls the module. Then it runs their deploy command once.
 * With `mux: true`, WezTerm's multiplexer runs in the VM and `domain` is a unix domain that reaches it.
 */
export const weztermPlugin = definePlugin<WeztermOptions>({
  ...weztermAbout,
  guestFacts: { mux: MUX_SCRIPT },
  tasks: (options, ctx) => [...weztermTasks(options, ctx), ...(options.mux ? muxTasks() : [])],
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => [
    ...weztermDoctor(options, ctx.config.instance),
    ...(options.mux ? muxDoctor() : []),
  ],
  uninstall: (options) => [...weztermUninstall(options), ...muxUninstall()],
  kept: (options) => [
    `your WezTerm Lua ${options.configFile} and the files it loads, but ascalon.lua: your files, asc never deletes them`,
    ...(options.mux ? ['the wezterm package in the VM: `lima sudo apt-get remove wezterm` removes it'] : []),
  ],
});
