import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
import { muxTasks } from './mux.ts';
import { muxDoctor } from './mux-doctor.ts';
import { MUX_SCRIPT } from './mux-guest.ts';
import { muxUninstall } from './mux-uninstall.ts';
import { weztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks } from './tasks.ts';

/**
 * WezTerm reaches the VM: the `ssh_domains` entry named `domain` goes through Lima's `lima-<instance>`
 * alias, and the keys open the launcher and new tabs in it. asc edits the user's own Lua files at the
 * spans a Lua parser names, and runs their deploy command once afterwards.
 */
export const weztermPlugin = definePlugin({
  name: 'wezterm',
  description: 'WezTerm: the SSH domain of the VM and its keys, in your Lua config',
  options: weztermOptions,
  guestFacts: { mux: MUX_SCRIPT },
  tasks: (options, ctx) => [...weztermTasks(options, ctx), ...(options.mux ? muxTasks() : [])],
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => [
    ...weztermDoctor(options, ctx.config.instance),
    ...(options.mux ? muxDoctor() : []),
  ],
  uninstall: () => muxUninstall(),
});
