import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the nixos plugin without loading it (its index.ts spreads this in). */
export const nixosAbout = {
  name: 'nixos',
  description: 'NixOS in the VM, moved there with its home folder kept',
  optIn: true,
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const nixosEntry: AscBuiltinPlugin = {
  ...nixosAbout,
  options: async () => (await import('./options.ts')).nixosOptions,
  load: async () => (await import('./index.ts')).nixosPlugin,
};
