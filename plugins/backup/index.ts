import { definePlugin } from '../../src/index.ts';
import { backupAbout } from './entry.ts';
import { type BackupOptions, SCHEDULE_TIMES } from './options.ts';
import { backupProvider } from './provider.ts';
import { backupDoctor, folderTask } from './tasks.ts';

/**
 * Backups of the guest home on the Mac: `asc backup` streams a verified .tar.gz of it, `asc restore`
 * puts one back (after archiving what it replaces), `asc backup --list` and `asc doctor` show them.
 */
export const backupPlugin = definePlugin<BackupOptions>({
  ...backupAbout,
  // The home of the user `limactl shell` logs in as: /home/<user>.linux or .guest, by Lima version.
  guestFacts: { home: 'printf %s "$HOME"' },
  // The schedule is a LaunchAgent that runs `asc backup --unattended`; the launchd plugin registers it.
  agents: (options) =>
    options.schedule === 'off'
      ? []
      : [
          {
            id: 'schedule',
            title: `back up the guest home ${options.schedule}`,
            args: ['backup', '--unattended'],
            schedule: SCHEDULE_TIMES[options.schedule],
          },
        ],
  tasks: (options) => [folderTask(options)],
  doctor: (options) => backupDoctor(options),
  kept: (options) => [
    `the backups of the guest home, in ${options.folder ?? "asc's state folder (home-backups/)"}: yours to remove; \`asc backup --list\` shows them`,
  ],
  backups: (options) => backupProvider(options),
});
