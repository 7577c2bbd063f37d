import type { AscBuiltinPlugin } from '../../src/index.ts';

/** What every command knows of the launchd plugin without loading it (its index.ts spreads this in). */
export const launchdAbout = {
  name: 'launchd',
  description: 'The VM starts at login: Lima autostart or a LaunchAgent, exactly one',
} as const;

/**
 * The registry's entry: the options' schema (options.ts, which loads zod) only to validate a config that
 * the config cache does not hold, the plugin (index.ts, with everything it imports) only when it is enabled.
 */
export const launchdEntry: AscBuiltinPlugin = {
  ...launchdAbout,
  options: async () => (await import('./options.ts')).launchdOptions,
  load: async () => (await import('./index.ts')).launchdPlugin,
};
