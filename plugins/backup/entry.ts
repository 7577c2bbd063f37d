import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the backup plugin without loading it (its index.ts spreads this in). */
export const backupAbout = {
  name: 'backup',
  description: 'Backups of the guest home on the Mac: asc backup, asc restore',
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const backupEntry: AscBuiltinPlugin = {
  ...backupAbout,
  options: async () => (await import('./options.ts')).backupOptions,
  load: async () => (await import('./index.ts')).backupPlugin,
};
