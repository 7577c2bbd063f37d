import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the wezterm plugin without loading it (its index.ts spreads this in). */
export const weztermAbout = {
  name: 'wezterm',
  description: 'WezTerm: the SSH domain of the VM and its keys, from a Lua module your config calls',
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const weztermEntry: AscBuiltinPlugin = {
  ...weztermAbout,
  options: async () => (await import('./options.ts')).weztermOptions,
  load: async () => (await import('./index.ts')).weztermPlugin,
};
