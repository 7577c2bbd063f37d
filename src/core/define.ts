import type { AscUserConfig } from './config/schema.ts';
import type { AscCannotFix, AscConverged, AscDrift, AscNotApplicable, AscPlugin } from './types.ts';

/** Identity helper that gives a plugin object its types (options inferred from the schema). */
export function definePlugin<Options>(plugin: AscPlugin<Options>): AscPlugin<Options> {
  return plugin;
}

/** Identity helper that gives `asc.config.ts` its types and completion. */
export function defineConfig(config: AscUserConfig): AscUserConfig {
  return config;
}

/** A check's answer when the world is already as desired. */
export function ok(reason?: string): AscConverged {
  return reason === undefined ? { converged: true } : { converged: true, reason };
}

/** A check's answer when apply has work to do. */
export function drift(reason: string, diff?: string): AscDrift {
  return diff === undefined ? { converged: false, reason } : { converged: false, reason, diff };
}

/**
 * A check's answer when the world drifted in a way apply cannot fix (a daemon the user must start): the
 * task fails, in plan and status too, with `fix`, the user's way out.
 */
export function cannotFix(reason: string, fix: string): AscCannotFix {
  return { converged: false, cannotFix: true, reason, fix };
}

/** A check's answer when the task does not apply on this machine: it is skipped with the reason, not failed. */
export function skip(reason: string): AscNotApplicable {
  return { converged: false, notApplicable: true, reason };
}
