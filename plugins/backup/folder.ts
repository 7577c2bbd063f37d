import path from 'node:path';
import { type AscTaskContext, displayPath } from '../../src/index.ts';
import type { BackupOptions } from './options.ts';

/** The archive folder: `folder` (with `~/` read as the Mac home), else `<asc's state folder>/home-backups`. */
export function backupFolder(options: BackupOptions, t: AscTaskContext): string {
  const folder = options.folder;
  if (folder === undefined) return path.join(t.host.stateDir, 'home-backups');
  if (folder === '~' || folder.startsWith('~/')) return path.join(t.host.home, folder.slice(1));
  return path.resolve(t.config.dir, folder);
}

/** Archives of the home are `<instance>-home-<time>.tar.gz`; what a restore replaced, `<instance>-before-restore-<time>.tar.gz`. */
export const homePrefix = (t: AscTaskContext) => `${t.config.instance}-home`;
export const replacedPrefix = (t: AscTaskContext) => `${t.config.instance}-before-restore`;

export const tilde = (t: AscTaskContext, file: string) => displayPath(file, t.host.home);
