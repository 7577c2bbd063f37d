import { z } from 'zod';
import type { AscCalendarInterval } from '../../src/index.ts';

/** How often a backup is due, in hours: `asc doctor` warns once the newest is older than 1.5 of these. */
export const SCHEDULE_HOURS = { hourly: 1, daily: 24, weekly: 24 * 7 } as const;

/**
 * When launchd starts `asc backup` (StartCalendarInterval): at noon, when the Mac and its VM are likely up;
 * a time missed while the Mac slept runs once at wake (launchd.plist(5)).
 */
export const SCHEDULE_TIMES = {
  hourly: [{ minute: 0 }],
  daily: [{ hour: 12, minute: 0 }],
  weekly: [{ weekday: 1, hour: 12, minute: 0 }],
} as const satisfies Record<string, AscCalendarInterval[]>;

/** Options of the backup plugin: `plugins.backup`. */
export const backupOptions = z
  .object({
    folder: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where the archives go on the Mac (`~/…` allowed). Default: `home-backups` in asc’s state folder (~/.local/state/asc/home-backups), which Time Machine backs up.',
      ),
    excludes: z
      .array(
        z
          .string()
          .min(1)
          .refine((p) => !p.split('/').includes('..'), 'a path inside the home, without ".."'),
      )
      .default(['.cache', '.local/share/Trash'])
      .describe(
        'Paths under the guest home left out of every backup (`~/` optional; `*` and `?` match, `*` across folders too). Default: .cache and .local/share/Trash.',
      ),
    keep: z
      .number()
      .int()
      .min(1)
      .default(7)
      .describe(
        'How many backups to keep: after a new one is verified, the oldest beyond this many are removed.',
      ),
    schedule: z
      .enum(['off', 'hourly', 'daily', 'weekly'])
      .default('off')
      .describe(
        'How often a backup is taken by itself: a LaunchAgent (registered by the launchd plugin) runs `asc backup --unattended` every hour, every day at 12:00 or every Monday at 12:00; a time missed while the Mac slept runs at wake. `asc doctor` warns when the newest backup is older than one and a half periods. `off`: no agent, no warning.',
      ),
  })
  .strict();

export type BackupOptions = z.output<typeof backupOptions>;
