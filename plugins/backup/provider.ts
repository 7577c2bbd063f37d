import path from 'node:path';
import {
  type AscBackups,
  AscError,
  type AscTaskContext,
  archiveGuestFolder,
  countArchiveEntries,
  formatBytes,
  listArchives,
  removeArchives,
  restoreIntoGuest,
} from '../../src/index.ts';
import { limaState } from '../lima/api.ts';
import { backupFolder, homePrefix, replacedPrefix, tilde } from './folder.ts';
import type { BackupOptions } from './options.ts';

/** The `backups` hook: what `asc backup`, `asc backup --list` and `asc restore` do. */
export function backupProvider(options: BackupOptions): AscBackups {
  return {
    folder: (t) => backupFolder(options, t),
    async list(t) {
      const dir = backupFolder(options, t);
      const all = [
        ...(await listArchives(dir, homePrefix(t))),
        ...(await listArchives(dir, replacedPrefix(t))),
      ];
      return all.sort((a, b) => b.created.getTime() - a.created.getTime());
    },

    async create(t, progress) {
      const home = await runningHome(t, 'back up');
      const dir = backupFolder(options, t);
      t.log.info(`archiving ${home} in ${t.config.instance} to ${tilde(t, dir)}`);
      const made = await archiveGuestFolder(t, {
        folder: home,
        dir,
        prefix: homePrefix(t),
        excludes: options.excludes,
        progress,
      });
      if (made.swept.length)
        t.log.info(`removed ${made.swept.length} partial archive(s) an interrupted backup left`);
      const kept = await listArchives(dir, homePrefix(t));
      const old = kept.slice(options.keep).map((a) => a.file);
      await removeArchives(t, old);
      const size = kept.find((a) => a.file === made.file)?.bytes ?? 0;
      const pruned = old.length ? `; removed ${old.length} older (keep: ${options.keep})` : '';
      return `${tilde(t, made.file)}: ${made.entries} entries of ${home}, ${formatBytes(size)}, verified${pruned}`;
    },

    async restore(t, archive) {
      const home = await runningHome(t, 'restore into');
      const dir = backupFolder(options, t);
      const file = archive ?? (await listArchives(dir, homePrefix(t)))[0]?.file;
      if (file === undefined) {
        throw new AscError(`no backup of ${t.config.instance}'s home in ${tilde(t, dir)}`, {
          code: 'E_FILE',
          hint: 'name an archive: `asc restore PATH`; `asc backup --list` shows them; nothing was changed',
        });
      }
      const entries = await countArchiveEntries(t, file).catch((error: Error) => {
        throw new AscError(`${tilde(t, file)} cannot be read as a .tar.gz: ${error.message}`, {
          code: 'E_VALIDATE',
          hint: '`asc backup --list` shows the verified archives; nothing was changed',
          cause: error,
        });
      });
      const question = `Restore ${tilde(t, file)} (${entries} entries) into ${home} in ${t.config.instance}? Its files replace those of the same name; the home is archived to ${tilde(t, dir)} first.`;
      if (!(await t.confirm(question))) {
        throw new AscError(
          'asc restore replaces files in the guest home: it does that only with --yes or a yes at the terminal',
          {
            code: 'E_REFUSED',
            hint: `\`asc restore ${file} --yes\`; nothing was changed`,
          },
        );
      }
      t.log.info(`archiving ${home} first, as it is now`);
      const before = await archiveGuestFolder(t, {
        folder: home,
        dir,
        prefix: replacedPrefix(t),
        excludes: options.excludes,
      });
      t.log.info(`restoring ${tilde(t, file)} into ${home}`);
      await restoreIntoGuest(t, file, home);
      return `${entries} entries of ${path.basename(file)} restored into ${home}; what was there is in ${tilde(t, before.file)}`;
    },
  };
}

/** The guest home of the running VM; refuses (changing nothing) while the VM is not running. */
async function runningHome(t: AscTaskContext, what: string): Promise<string> {
  const instance = t.config.instance;
  const found = await (await limaState(t)).instance(t, instance);
  if (found?.status !== 'Running') {
    throw new AscError(
      `VM ${instance} is ${found ? found.status || 'not running' : 'missing'}: asc can only ${what} the guest home of a running VM`,
      {
        code: 'E_REFUSED',
        hint: found
          ? `start it: \`limactl start ${instance}\`; nothing was changed`
          : '`asc run` creates it; nothing was changed',
      },
    );
  }
  const home = (await t.guest.facts())['backup.home'];
  if (!home?.startsWith('/')) {
    throw new AscError(`could not read the guest home of ${instance} ($HOME in the VM: "${home ?? ''}")`, {
      code: 'E_GUEST',
      hint: `try \`limactl shell ${instance} -- sh -c 'echo $HOME'\``,
    });
  }
  return home;
}
