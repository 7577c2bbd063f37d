import path from 'node:path';
import { parse } from 'yaml';
import {
  AscError,
  type AscTask,
  type AscTaskContext,
  drift,
  fileStamp,
  ok,
  parseDuration,
} from '../../src/index.ts';
import {
  createVm,
  creationYaml,
  deleteVm,
  type LimaInstance,
  limaHome,
  limaState,
  limaVersion,
  startVm,
  stopVm,
} from '../lima/api.ts';
import { archiveGuestFolder, countArchiveEntries, countGuestEntries, restoreIntoGuest } from './archive.ts';
import { describeImages, imageMismatch, isNixosImage } from './images.ts';
import type { NixosOptions } from './options.ts';
import { osName, parseOsRelease } from './os-release.ts';
import { archiveDir, tilde } from './paths.ts';

/** The steps of a migration, in order; each is recorded in asc's state folder once done. */
export const STEPS = ['archived', 'saved-config', 'deleted', 'recreated', 'restored'] as const;
export type Step = (typeof STEPS)[number];

/** What `t.state` keeps of a migration under `migration:<instance>`. */
export interface MigrationRecord {
  step: Step;
  /** The verified archive of the old guest home (host path). */
  archive: string;
  /** Entries in it, counted in the old guest and in the listing. */
  entries: number;
  /** The old guest home, e.g. /home/u.linux. */
  from: string;
  /** The old instance's lima.yaml, once saved. */
  limaYaml?: string;
  /** The new guest home, once known. */
  to?: string;
  /** Archives of earlier attempts that stopped before the delete (kept, never reused). */
  earlier?: string[];
  started: string;
  finished?: string;
}

const after = (step: Step, than: Step) => STEPS.indexOf(step) >= STEPS.indexOf(than);

/**
 * `nixos.migrated`: the guest runs NixOS. Moving an Ubuntu instance deletes and re-creates it, so it
 * asks first, and the guest home goes to the Mac (verified) before anything is deleted, then comes back
 * into the new guest's home. Every step is recorded, so an interrupted move resumes where it stopped.
 */
export function migratedTask(options: NixosOptions, instance: string): AscTask {
  const key = `migration:${instance}`;
  const timeout = { text: options.startTimeout, ms: parseDuration(options.startTimeout) };

  /** Record a step: a run stopped after it (a kill, a crash, a failed command) resumes from there. */
  const record = (t: AscTaskContext, value: MigrationRecord) => t.state.set(key, value);
  const unfinished = async (t: AscTaskContext) => {
    const found = await t.state.get<MigrationRecord>(key);
    return found && found.step !== 'restored' ? found : undefined;
  };

  return {
    id: 'migrated',
    title: `VM ${instance} runs NixOS`,
    phase: 'phase6',
    needs: ['lima.instance'],
    async check(t) {
      const open = await unfinished(t);
      if (open) {
        const left = STEPS.slice(STEPS.indexOf(open.step) + 1).join(' → ');
        return drift(
          `moving ${instance} to NixOS stopped after "${open.step}": ${left} is left; the home archive ${tilde(t, open.archive)} is kept and restored from`,
        );
      }
      const found = await instanceOf(t, instance);
      if (found.status === 'Running') {
        const release = parseOsRelease((await t.guest.facts())['nixos.os-release']);
        if (release.ID === 'nixos') return ok(osName(release));
        return drift(await movePlan(t, instance, `${instance} runs ${osName(release)}, not NixOS`));
      }
      const from = await createdFrom(t, found);
      if (from && isNixosImage(from, t.vm.images)) {
        return ok(`created from ${describeImages([{ location: from }])}; it boots NixOS once started`);
      }
      return drift(
        await movePlan(
          t,
          instance,
          `${instance} is ${found.status || 'not running'} and was made from ${from ?? 'a base template'}, not a NixOS image: it is started to look`,
        ),
      );
    },
    async apply(t) {
      const open = await unfinished(t);
      let found = await instanceOf(t, instance, true);
      const replaced =
        open !== undefined &&
        (after(open.step, 'deleted') ||
          found === undefined ||
          isNixosImage((await createdFrom(t, found)) ?? '', t.vm.images));
      if (open && replaced) return finish(t, open);

      // The old instance is still there, so a delete is ahead: ask before anything at all.
      const mismatch = imageMismatch(t.vm.images, await limaVersion(t));
      if (mismatch) {
        throw new AscError(`will not move ${instance} to NixOS: ${mismatch}`, {
          code: 'E_REFUSED',
          hint: 'remove plugins.nixos.image to use the default image, or name a newer one; nothing was changed',
        });
      }
      const question = `Move ${instance} to NixOS? This deletes the instance and its disk; its home folder is archived to ${tilde(t, archiveDir(t))} first and restored into the new VM.`;
      if (!(await t.confirm(question))) {
        throw new AscError(
          `moving ${instance} to NixOS deletes the instance and re-creates it: asc does that only with --yes or a yes at the terminal`,
          {
            code: 'E_REFUSED',
            hint: `\`asc run ${t.id} --yes\` archives the guest home to ${tilde(t, archiveDir(t))} and checks the archive, saves lima.yaml there, stops and deletes ${instance}, re-creates it from ${describeImages(t.vm.images)} and restores the home into it; \`asc plan ${t.id}\` shows it; nothing was changed`,
          },
        );
      }
      if (found?.status !== 'Running') {
        t.log.info(`starting ${instance} to archive its home folder`);
        await startVm(t, instance, found?.dir ?? path.join(limaHome(t), instance), timeout);
        found = await instanceOf(t, instance);
      }
      const facts = await t.guest.facts();
      const release = parseOsRelease(facts['nixos.os-release']);
      if (release.ID === 'nixos') {
        if (open) return finish(t, open);
        return `${instance} already runs ${osName(release)}`;
      }

      // 1. The home folder, to the Mac, verified. Nothing is deleted unless this succeeds.
      const from = guestHome(facts, instance);
      const dir = archiveDir(t);
      const when = fileStamp();
      const archive = path.join(dir, `${instance}-home-${when}.tar.gz`);
      const partial = `${archive}.part`;
      t.log.info(`archiving ${from} to ${tilde(t, archive)}`);
      await t.files.mkdir(dir, { mode: 0o700 });
      let entries: number;
      try {
        entries = await archiveGuestFolder(t, from, partial);
      } catch (error) {
        await t.files.remove(partial, { backup: false });
        throw error;
      }
      await t.files.rename(partial, archive);
      const earlier = [...(open?.earlier ?? []), ...(open ? [open.archive] : [])];
      const base: MigrationRecord = {
        step: 'archived',
        archive,
        entries,
        from,
        started: new Date().toISOString(),
        ...(earlier.length ? { earlier } : {}),
      };
      await record(t, base);

      // 2. The old lima.yaml, for a roll-back.
      const limaYaml = path.join(dir, `${instance}-lima-${when}.yaml`);
      const text = await t.files.read(path.join(found.dir, 'lima.yaml'));
      if (text === undefined) {
        throw new AscError(`${path.join(found.dir, 'lima.yaml')} is missing`, {
          code: 'E_FILE',
          hint: `the home is archived in ${tilde(t, archive)}; nothing was deleted`,
        });
      }
      await t.files.write(limaYaml, text, { mode: 0o600 });
      const saved: MigrationRecord = { ...base, step: 'saved-config', limaYaml };
      await record(t, saved);

      // 3. Stop, delete, re-create from the NixOS spec.
      t.log.info(`stopping and deleting ${instance}`);
      await stopVm(t, instance);
      await deleteVm(t, instance);
      await record(t, { ...saved, step: 'deleted' });
      return finish(t, { ...saved, step: 'deleted' });
    },
  };

  /** Re-create (when missing), start, and restore the archive into the new guest home. */
  async function finish(t: AscTaskContext, open: MigrationRecord): Promise<string> {
    let current = open;
    if (!after(current.step, 'recreated')) {
      let found = await instanceOf(t, instance, true);
      if (!found) {
        t.log.info(`creating ${instance} from ${describeImages(t.vm.images)}`);
        await createVm(t, instance, creationYaml(t.vm, 'template:default'));
        found = await instanceOf(t, instance);
      }
      if (found.status !== 'Running') {
        t.log.info(`starting ${instance}`);
        await startVm(t, instance, found.dir, timeout);
      }
      current = { ...current, step: 'recreated' };
      await record(t, current);
    } else {
      const found = await instanceOf(t, instance);
      if (found.status !== 'Running') await startVm(t, instance, found.dir, timeout);
    }

    // 4. The archive, into the home the new guest has (.guest where the old one may have been .linux).
    const facts = await t.guest.facts();
    const release = parseOsRelease(facts['nixos.os-release']);
    if (release.ID !== 'nixos') {
      throw new AscError(
        `${instance} was deleted after its home was archived, but the instance there now runs ${osName(release)}, not NixOS`,
        {
          code: 'E_REFUSED',
          hint: `the home is in ${tilde(t, current.archive)}; delete this instance (\`limactl stop ${instance}; limactl delete ${instance}\`) and run asc again to create the NixOS one and restore it`,
        },
      );
    }
    const listed = await countArchiveEntries(t, current.archive).catch((error: Error) => {
      throw new AscError(`the kept archive ${tilde(t, current.archive)} does not list: ${error.message}`, {
        code: 'E_VALIDATE',
        hint: 'it is the only copy of the old home folder: keep it, and see docs/plugins/nixos.md (roll back)',
      });
    });
    if (listed !== current.entries) {
      throw new AscError(
        `the kept archive ${tilde(t, current.archive)} has ${listed} entries, ${current.entries} when it was made`,
        { code: 'E_VALIDATE', hint: 'keep it; see docs/plugins/nixos.md (roll back)' },
      );
    }
    const to = guestHome(facts, instance);
    t.log.info(`restoring ${tilde(t, current.archive)} into ${to}`);
    await restoreIntoGuest(t, current.archive, to);
    await record(t, { ...current, step: 'restored', to, finished: new Date().toISOString() });
    const saved = current.limaYaml ? `; the old lima.yaml is ${tilde(t, current.limaYaml)}` : '';
    return `moved ${instance} to NixOS (${describeImages(t.vm.images)}): ${current.entries} entries of ${current.from} restored into ${to} from ${tilde(t, current.archive)}, which is kept${saved}`;
  }
}

async function instanceOf(t: AscTaskContext, instance: string): Promise<LimaInstance>;
async function instanceOf(
  t: AscTaskContext,
  instance: string,
  optional: true,
): Promise<LimaInstance | undefined>;
async function instanceOf(t: AscTaskContext, instance: string, optional = false) {
  const found = await (await limaState(t)).instance(t, instance);
  if (!found && !optional) {
    throw new AscError(`no instance named ${instance}`, {
      code: 'E_COMMAND_FAILED',
      hint: 'run `asc run lima.instance`',
    });
  }
  return found;
}

/** The first image in the instance's lima.yaml (what its disk was made from), or undefined for `base:`. */
async function createdFrom(t: AscTaskContext, found: LimaInstance): Promise<string | undefined> {
  const text = await t.files.read(path.join(found.dir, 'lima.yaml'));
  try {
    const images = (parse(text ?? '') as { images?: { location?: unknown }[] } | null)?.images;
    const location = Array.isArray(images) ? images[0]?.location : undefined;
    return typeof location === 'string' ? location : undefined;
  } catch {
    return undefined;
  }
}

function guestHome(facts: Readonly<Record<string, string>>, instance: string): string {
  const home = facts['lima.home'];
  if (!home?.startsWith('/')) {
    throw new AscError(`could not read the guest home of ${instance} ($HOME in the VM: "${home ?? ''}")`, {
      code: 'E_GUEST',
      hint: `try \`limactl shell ${instance} -- sh -c 'echo $HOME'\``,
    });
  }
  return home;
}

/** The drift reason of a move: what is deleted, what is kept where, what comes instead. */
async function movePlan(t: AscTaskContext, instance: string, why: string): Promise<string> {
  const dir = tilde(t, archiveDir(t));
  let home = 'the guest home';
  const found = await (await limaState(t)).instance(t, instance);
  if (found?.status === 'Running') {
    const facts = await t.guest.facts();
    const guest = facts['lima.home'];
    if (guest) {
      const entries = await countGuestEntries(t, guest).catch(() => undefined);
      home = entries === undefined ? guest : `${guest} (${entries} entries)`;
    }
  }
  return `${why}. Moving it: archive ${home} to ${dir}/${instance}-home-<time>.tar.gz and check it; save lima.yaml to ${dir}/${instance}-lima-<time>.yaml; stop and delete ${instance} with its disk (everything outside the home folder: installed packages, /etc, /var, container images); re-create it from ${describeImages(t.vm.images)}; restore the home into the new guest home. Needs --yes`;
}
