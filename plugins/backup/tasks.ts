import {
  type AscDoctorCheck,
  type AscTask,
  drift,
  formatAge,
  formatBytes,
  isPrivateFolder,
  listArchives,
  ok,
  partialArchives,
  privateFolder,
  sweepPartialArchives,
} from '../../src/index.ts';
import { backupFolder, homePrefix, tilde } from './folder.ts';
import { type BackupOptions, SCHEDULE_HOURS } from './options.ts';

/**
 * `backup.folder`: the archive folder is 0700 and holds no partial archive. A backup killed midway
 * leaves `<name>.tar.gz.part`; the next backup removes it too, and it never counts as an archive.
 */
export function folderTask(options: BackupOptions): AscTask {
  return {
    id: 'folder',
    title: 'the backup folder is private and holds no partial archive',
    phase: 'phase5',
    async check(t) {
      const dir = backupFolder(options, t);
      const problems: string[] = [];
      if (!(await isPrivateFolder(dir))) problems.push(`${tilde(t, dir)} is readable by others (want 0700)`);
      const partial = await partialArchives(dir, homePrefix(t));
      if (partial.length) problems.push(`${partial.length} partial archive(s) of an interrupted backup`);
      return problems.length ? drift(problems.join('; ')) : ok(tilde(t, dir));
    },
    async apply(t) {
      const dir = backupFolder(options, t);
      const swept = await sweepPartialArchives(t, dir, homePrefix(t));
      // A missing folder stays missing until the first backup; an existing one is closed.
      if (!(await isPrivateFolder(dir))) await privateFolder(t, dir);
      return swept.length ? `removed ${swept.length} partial archive(s)` : `made ${tilde(t, dir)} 0700`;
    },
  };
}

/** `asc doctor`: how many backups, how much room, and whether the newest is as fresh as the schedule wants. */
export function backupDoctor(options: BackupOptions): AscDoctorCheck[] {
  return [
    {
      id: 'archives',
      title: 'backups of the guest home',
      async run(t) {
        const dir = backupFolder(options, t);
        const archives = await listArchives(dir, homePrefix(t));
        const total = archives.reduce((sum, a) => sum + a.bytes, 0);
        const newest = archives[0];
        const age = newest ? Date.now() - newest.created.getTime() : undefined;
        const what = newest
          ? `${archives.length} backup(s), ${formatBytes(total)}, in ${tilde(t, dir)}; the newest is ${formatAge(age ?? 0)} old`
          : `no backup yet in ${tilde(t, dir)}`;
        if (!(await isPrivateFolder(dir)))
          return {
            status: 'warn',
            message: `${what}; the folder is readable by others`,
            fix: 'asc run backup.folder',
          };
        if (options.schedule === 'off') return { status: 'ok', message: `${what} (schedule: off)` };
        const allowedMs = SCHEDULE_HOURS[options.schedule] * 1.5 * 3_600_000;
        if (age === undefined || age > allowedMs) {
          return {
            status: 'warn',
            message: `${what}, older than a ${options.schedule} schedule allows`,
            fix: 'asc backup',
          };
        }
        return { status: 'ok', message: `${what} (schedule: ${options.schedule})` };
      },
    },
  ];
}
