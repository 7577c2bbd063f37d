import path from 'node:path';
import { type AscTaskContext, displayPath } from '../../src/index.ts';

/** Where the migration keeps the old home's archive and lima.yaml: `<asc's state folder>/nixos`. */
export function archiveDir(t: AscTaskContext): string {
  return path.join(t.host.stateDir, 'nixos');
}

/** A host path as the user reads it: `~/…` under the home folder. */
export function tilde(t: AscTaskContext, file: string): string {
  return displayPath(file, t.host.home);
}
