import path from 'node:path';
import type { AscTaskContext } from '../../src/index.ts';

/**
 * Where the migration keeps the old home's archive and lima.yaml: `<asc's state folder>/nixos`, the state
 * folder being `$XDG_STATE_HOME/asc` or `~/.local/state/asc`, as asc's own records are.
 */
export function archiveDir(t: AscTaskContext): string {
  return path.join(t.host.env.XDG_STATE_HOME || path.join(t.host.home, '.local', 'state'), 'asc', 'nixos');
}

/** `2026-12-01T16-24-48-123Z`: sorts, and is safe in a file name. */
export function stamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** A host path as the user reads it: `~/…` under the home folder. */
export function tilde(t: AscTaskContext, file: string): string {
  return file === t.host.home || file.startsWith(`${t.host.home}/`)
    ? `~${file.slice(t.host.home.length)}`
    : file;
}
