import path from 'node:path';
import { parse } from 'yaml';
import {
  AscError,
  type AscTask,
  type AscTaskContext,
  drift,
  editYaml,
  ok,
  parseDuration,
  YamlEditError,
} from '../../src/index.ts';
import { writeLimaYaml } from './config-task.ts';
import { type LimaInstance, limaState } from './limactl.ts';
import { forgetManaged, managedOf, removalEdits, sha256 } from './managed.ts';
import type { LimaOptions } from './options.ts';
import { includeLine, removeInclude } from './ssh-config.ts';
import { includeRecordKey, sshPaths } from './ssh-tasks.ts';

interface IncludeRecord {
  /** ~/.ssh/config did not exist before asc wrote it. */
  created: boolean;
  /** Where the file was saved before asc's edit. */
  backup?: string;
  /** sha256 of the text asc wrote. */
  sha256: string;
}

/**
 * `asc uninstall` for the lima plugin: the Include comes out of ~/.ssh/config (the file exactly as it was
 * when nobody has changed it since asc's edit), and lima.yaml loses the forwards, env and provision
 * scripts asc put there (one restart of a running VM). The VM, its disk and the guest home stay.
 */
export function limaUninstall(options: LimaOptions, instance: string): AscTask[] {
  const timeout = { text: options.startTimeout, ms: parseDuration(options.startTimeout) };
  return [
    {
      id: 'ssh-include',
      title: `~/.ssh/config no longer includes ${instance}'s ssh.config`,
      async check(t) {
        const plan = await includeRemoval(t, instance);
        if (!plan) return ok();
        return drift(plan.reason, await t.files.diff(plan.file, plan.text));
      },
      async apply(t) {
        const plan = await includeRemoval(t, instance);
        if (!plan) return;
        if (plan.text === undefined) await t.files.remove(plan.file);
        else await t.files.write(plan.file, plan.text);
        await t.state.delete(includeRecordKey(instance));
        return plan.reason;
      },
    },
    {
      id: 'config',
      title: `lima.yaml holds none of asc's forwards, env or provision scripts`,
      async check(t) {
        const plan = await limaYamlRemoval(t, instance);
        if (!plan?.change) return ok(plan ? undefined : `no instance named ${instance}`);
        const restart = plan.running ? '; the running VM needs a restart (stop → write → start)' : '';
        return drift(`would remove ${plan.change.reasons.join(', ')}${restart}`, plan.change.diff);
      },
      async apply(t) {
        const plan = await limaYamlRemoval(t, instance);
        if (!plan?.change) return;
        const done = await writeLimaYaml(t, instance, plan, plan.change, {
          timeout,
          rerun: 'asc uninstall --yes',
        });
        await forgetManaged(t, instance);
        return done;
      },
    },
  ];
}

/** How ~/.ssh/config goes back: the saved original, or the block taken out; undefined when it is out. */
async function includeRemoval(
  t: AscTaskContext,
  instance: string,
): Promise<{ file: string; text: string | undefined; reason: string } | undefined> {
  const { file, target } = sshPaths(t, instance);
  const text = await t.files.read(file);
  if (text === undefined) return undefined;
  const record = await t.state.get<IncludeRecord>(includeRecordKey(instance));
  if (record && sha256(text) === record.sha256) {
    if (record.created) return { file, text: undefined, reason: `~/.ssh/config was created by asc: removed` };
    const original = record.backup ? await t.files.read(record.backup) : undefined;
    if (original !== undefined) {
      return {
        file,
        text: original,
        reason: `~/.ssh/config put back as it was before asc (from ${record.backup})`,
      };
    }
  }
  const without = removeInclude(text, target, instance);
  if (without === undefined) return undefined;
  return {
    file,
    text: without,
    reason: `took \`${includeLine(target)}\` and asc's comment out of ~/.ssh/config`,
  };
}

interface LimaYamlRemoval {
  file: string;
  dir: string;
  running: boolean;
  change: { text: string; reasons: string[]; diff: string | undefined } | undefined;
}

async function limaYamlRemoval(t: AscTaskContext, instance: string): Promise<LimaYamlRemoval | undefined> {
  let found: LimaInstance | undefined;
  try {
    found = await (await limaState(t)).instance(t, instance);
  } catch (error) {
    // No limactl (any more): no instance asc could have edited through it.
    if (error instanceof AscError && error.code === 'E_TOOL_MISSING') return undefined;
    throw error;
  }
  if (!found) return undefined;
  const file = path.join(found.dir, 'lima.yaml');
  const current = await t.files.read(file);
  if (current === undefined) return undefined;
  const where = { file, dir: found.dir, running: found.status === 'Running' };
  let doc: Record<string, unknown>;
  try {
    doc = (parse(current, { merge: true }) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new AscError(`${file} is not valid YAML: ${(error as Error).message}`, { code: 'E_FILE' });
  }
  const { edits, reasons } = removalEdits(doc, await managedOf(t, instance));
  if (edits.length === 0) return { ...where, change: undefined };
  let text: string;
  try {
    text = editYaml(current, edits);
  } catch (error) {
    if (!(error instanceof YamlEditError)) throw error;
    throw new AscError(`${file}: ${error.message}`, {
      code: 'E_FILE',
      hint: `remove by hand: ${reasons.join(', ')}; the file was left as it was`,
    });
  }
  if (text === current) return { ...where, change: undefined };
  return { ...where, change: { text, reasons, diff: await t.files.diff(file, text) } };
}
