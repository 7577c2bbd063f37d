import type { AscCheckResult, AscDoctorFinding, AscTaskContext } from './types.ts';

/** A task as the graph and runner see it: full id, its plugin (or group), resolved defaults. */
export interface TaskNode {
  id: string;
  plugin: string;
  title: string;
  phase: string | undefined;
  /** As declared: ids or globs. */
  needs: readonly string[];
  notify: readonly string[];
  check(t: AscTaskContext): Promise<AscCheckResult>;
  // biome-ignore lint/suspicious/noConfusingVoidType: an apply that returns nothing is the common case
  apply(t: AscTaskContext): Promise<string | undefined | void>;
  /** Who declared it, for error messages. */
  source: string;
}

export interface HandlerNode {
  id: string;
  plugin: string;
  title: string;
  run(t: AscTaskContext): Promise<void>;
}

/** A row of `asc doctor`, from a plugin's `doctor` hook or the core. */
export interface DoctorNode {
  /** `<plugin>.<id>` (`core.node` for the core's own). */
  id: string;
  plugin: string;
  title: string;
  run(t: AscTaskContext): Promise<AscDoctorFinding>;
}
