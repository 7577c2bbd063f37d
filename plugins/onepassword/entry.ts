import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the onepassword plugin without loading it (its index.ts spreads this in). */
export const onePasswordAbout = {
  name: 'onepassword',
  description: "1Password's SSH agent in the VM, and op with a service account",
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const onePasswordEntry: AscBuiltinPlugin = {
  ...onePasswordAbout,
  options: async () => (await import('./options.ts')).onePasswordOptions,
  load: async () => (await import('./index.ts')).onePasswordPlugin,
};
