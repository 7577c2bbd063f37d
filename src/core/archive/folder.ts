import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { planRefusal } from '../context/read-only.ts';
import type { AscTaskContext } from '../types.ts';

/** One finished archive of a guest folder on the Mac. */
export interface GuestArchive {
  /** Its path on the Mac. */
  file: string;
  /** Size in bytes. */
  bytes: number;
  /** When it was taken, from the time in its name (`<prefix>-<fileStamp>.tar.gz`). */
  created: Date;
}

const SUFFIX = '.tar.gz';
/** The name of an archive that is still being written, or was left by a run that was killed. */
export const PARTIAL = `${SUFFIX}.part`;

/** `<prefix>-<fileStamp>.tar.gz`: the time back from a name `fileStamp` made, or undefined. */
export function archiveTime(name: string, prefix: string): Date | undefined {
  if (!name.startsWith(`${prefix}-`) || !name.endsWith(SUFFIX)) return undefined;
  const stamp = name.slice(prefix.length + 1, -SUFFIX.length);
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/.exec(stamp);
  if (!m) return undefined;
  const date = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The finished archives `<prefix>-<time>.tar.gz` in `dir`, newest first (none when `dir` is missing). */
export async function listArchives(dir: string, prefix: string): Promise<GuestArchive[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: GuestArchive[] = [];
  for (const name of names) {
    const created = archiveTime(name, prefix);
    if (!created) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) found.push({ file, bytes: info.size, created });
  }
  return found.sort((a, b) => b.created.getTime() - a.created.getTime());
}

/** What an interrupted run left in `dir`: `<prefix>-*.tar.gz.part` files. */
export async function partialArchives(dir: string, prefix: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => name.startsWith(`${prefix}-`) && name.endsWith(PARTIAL))
    .map((name) => path.join(dir, name));
}

/**
 * Remove the partial archives a killed run left behind. Safe: the run lock keeps every other asc
 * out, and a `.part` never counts as an archive. Returns what was removed.
 */
export async function sweepPartialArchives(
  t: AscTaskContext,
  dir: string,
  prefix: string,
): Promise<string[]> {
  const partial = await partialArchives(dir, prefix);
  await removeArchives(t, partial);
  return partial;
}

/**
 * The archive folder exists with mode 0700, whatever it was before: `mkdir -m 700` does not tighten a
 * folder that is already there, and the archives hold the home's secrets.
 */
export async function privateFolder(t: AscTaskContext, dir: string): Promise<void> {
  await t.files.mkdir(dir, { mode: 0o700 });
  const info = await t.files.stat(dir);
  if (info && (info.mode & 0o777) === 0o700) return;
  // t.files has no chmod: the one change made here, refused in plan mode as t.files' own are.
  if (t.dryRun) throw planRefusal(`chmod 700 ${dir}`);
  await chmod(dir, 0o700);
}

/** Whether the folder is missing or 0700: what `privateFolder` makes. */
export async function isPrivateFolder(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  return info === undefined || (info.mode & 0o777) === 0o700;
}

/** An empty file of mode 0600 (the archive is streamed into it, and a truncating open keeps the mode). */
export async function privateFile(t: AscTaskContext, file: string): Promise<void> {
  await t.files.remove(file, { backup: false });
  await t.files.write(file, '', { mode: 0o600 });
}

/** Rename within the folder (atomic): a `.part` becomes an archive only once it was verified. */
export async function renameArchive(t: AscTaskContext, from: string, to: string): Promise<void> {
  await t.files.rename(from, to);
}

/** Remove archives (retention, a failed attempt); never backed up: they are the backups. */
export async function removeArchives(t: AscTaskContext, files: readonly string[]): Promise<void> {
  for (const file of files) await t.files.remove(file, { backup: false });
}

/** `1.2 GiB`: a size as people read it. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `3 h`, `2 d`: how long ago, coarsely. */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}
