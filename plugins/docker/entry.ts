import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the docker plugin without loading it (its index.ts spreads this in). */
export const dockerAbout = {
  name: 'docker',
  description: "The Mac's Docker daemon (Colima) inside the VM, through a socket forward",
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const dockerEntry: AscBuiltinPlugin = {
  ...dockerAbout,
  options: async () => (await import('./options.ts')).dockerOptions,
  load: async () => (await import('./index.ts')).dockerPlugin,
};
