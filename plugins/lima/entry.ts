import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the lima plugin without loading it (its index.ts spreads this in). */
export const limaAbout = {
  name: 'lima',
  description: 'The Lima VM: instance, lima.yaml, running, ssh access',
  defaultEnabled: true,
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const limaEntry: AscBuiltinPlugin = {
  ...limaAbout,
  options: async () => (await import('./options.ts')).limaOptions,
  load: async () => (await import('./index.ts')).limaPlugin,
};
