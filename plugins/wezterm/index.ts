import { definePlugin } from '../../src/index.ts';
import { weztermDoctor } from './doctor.ts';
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
  tasks: (options, ctx) => weztermTasks(options, ctx),
  handlers: (options) => weztermHandlers(options),
  doctor: (options, ctx) => weztermDoctor(options, ctx.config.instance),
  kept: (options) => [
    `your WezTerm Lua ${[...new Set([options.configFile, options.keysFile ?? options.configFile])].join(' and ')}, with the SSH domain and keys asc added: your files, asc never deletes or edits them back (their state before asc's first edit is in the backups)`,
  ],
});
