import path from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import {
  AscError,
  type AscTask,
  type AscTaskContext,
  drift,
  editYaml,
  firstLine,
  ok,
  parseDuration,
  YamlEditError,
} from '../../src/index.ts';
import { startVm, stopVm, validateLimaYaml, withSpecFile } from './lifecycle.ts';
import { hasGuestTemplate, limaYamlDrift } from './lima-yaml.ts';
import { guestTemplateVars, type LimaInstance, limaState } from './limactl.ts';
import { recordManaged } from './managed.ts';
import type { LimaOptions } from './options.ts';

/**
 * `lima.config`: the instance's lima.yaml holds every key the merged VM spec sets. On a running VM the
 * change is one restart for every plugin's contribution: validate → stop → write → start.
 */
export function configTask(options: LimaOptions, instance: string): AscTask {
  const timeout = { text: options.startTimeout, ms: parseDuration(options.startTimeout) };
  return {
    id: 'config',
    title: `lima.yaml matches the VM spec`,
    phase: 'phase1',
    // nixos.migrated, when the nixos plugin is on, deletes the instance and re-creates it from the whole
    // spec: configuring the old instance first would cost a restart of a VM about to be deleted. A glob,
    // because a need on a disabled plugin's task is a config error; it always matches lima.instance.
    needs: ['{lima.instance,nixos.migrated}'],
    async check(t) {
      const planned = await plannedConfig(t, instance);
      // What asc keeps on purpose (a disk larger than asked) is said once a run, not treated as drift.
      for (const note of planned.notes) t.log.info(note);
      if (!planned.change) return planned.notes.length > 0 ? ok(planned.notes.join('; ')) : ok();
      const restart = planned.running ? '; the running VM needs a restart (stop → write → start)' : '';
      return drift(`${planned.change.reasons.join(', ')}${restart}`, planned.change.diff);
    },
    async apply(t) {
      const planned = await plannedConfig(t, instance);
      if (!planned.change) return;
      const done = await writeLimaYaml(t, instance, planned, planned.change, {
        timeout,
        rerun: `asc run ${t.id} --yes`,
      });
      await recordManaged(t, instance, t.vm);
      return done;
    },
  };
}

/**
 * Write a new lima.yaml (validated by `limactl validate` first). A running VM needs a restart to read
 * it: that is asked (or `--yes`), then validate → stop → write → start, one restart for every change.
 */
export async function writeLimaYaml(
  t: AscTaskContext,
  instance: string,
  where: { file: string; dir: string; running: boolean },
  change: { text: string; reasons: string[] },
  how: { timeout: { text: string; ms: number }; rerun: string },
): Promise<string> {
  const { text, reasons } = change;
  const validate = (temp: string) => validateLimaYaml(t, temp);
  if (!where.running) {
    await t.files.write(where.file, text, { validate });
    return `wrote lima.yaml: ${reasons.join(', ')}`;
  }
  const question = `The VM "${instance}" is running; its new config (${reasons.join(', ')}) needs a restart. Stop it, write lima.yaml and start it again?`;
  if (!(await t.confirm(question))) {
    throw new AscError(`the VM "${instance}" is running and its config changed: a restart is needed`, {
      code: 'E_REFUSED',
      hint: `run \`${how.rerun}\` to stop, update and start it, or stop it yourself (\`limactl stop ${instance}\`) and run asc again`,
    });
  }
  // Validate before stopping, so a spec Lima rejects never costs a stop.
  await withSpecFile(t, text, validate);
  t.log.info(`stopping ${instance}`);
  await stopVm(t, instance);
  await t.files.write(where.file, text, { validate });
  t.log.info(`starting ${instance}`);
  await startVm(t, instance, where.dir, how.timeout);
  return `restarted ${instance} with the new lima.yaml: ${reasons.join(', ')}`;
}

interface PlannedConfig {
  file: string;
  dir: string;
  running: boolean;
  change: { text: string; reasons: string[]; diff: string | undefined } | undefined;
  notes: string[];
}

async function plannedConfig(t: AscTaskContext, instance: string): Promise<PlannedConfig> {
  const found: LimaInstance | undefined = await (await limaState(t)).instance(t, instance);
  if (!found) {
    throw new AscError(`no instance named ${instance}`, {
      code: 'E_COMMAND_FAILED',
      hint: 'run `asc run lima.instance`',
    });
  }
  const file = path.join(found.dir, 'lima.yaml');
  const current = await t.files.read(file);
  if (current === undefined) {
    throw new AscError(`${file} does not exist, though limactl lists ${instance}`, {
      code: 'E_FILE',
      hint: `\`limactl list\` shows it as ${found.status}; a Broken instance may need \`limactl delete ${instance}\``,
    });
  }
  const parsed = parseLimaYaml(file, current);
  // Lima does not expand templates in `env` (pkg/limayaml/defaults.go): asc writes the guest's own values.
  const templated = Object.values(t.vm.env).some(hasGuestTemplate);
  const guest = templated ? await guestTemplateVars(t, found) : undefined;
  const wanted = limaYamlDrift(parsed, t.vm, t.host.home, { ...found, guest });
  const running = found.status === 'Running';
  const unchanged = { file, dir: found.dir, running, change: undefined, notes: wanted.notes };
  if (wanted.edits.length === 0) return unchanged;
  // One edit at a time (as editYaml applies them), so a refused one can be placed in the file.
  let text = current;
  for (const edit of wanted.edits) {
    try {
      text = editYaml(text, [edit]);
    } catch (error) {
      if (!(error instanceof YamlEditError)) throw error;
      throw new AscError(`${file}${positionOf(current, edit.path)}: ${error.message}`, {
        code: 'E_FILE',
        hint: `make the change by hand (${wanted.reasons.join(', ')}), then run asc again; the file was left as it was`,
      });
    }
  }
  if (text === current) return unchanged;
  return {
    file,
    dir: found.dir,
    running,
    change: { text, reasons: wanted.reasons, diff: await t.files.diff(file, text) },
    notes: wanted.notes,
  };
}

/** lima.yaml as Lima reads it (merge keys `<<` included); a file that does not parse is an error at its line. */
function parseLimaYaml(file: string, text: string): Record<string, unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new AscError(`${file}:${line}:${col}: not valid YAML: ${firstLine(first.message)}`, {
      code: 'E_FILE',
      hint: `fix it (\`limactl edit\` checks it too); asc changes nothing until it parses`,
    });
  }
  try {
    return (doc.toJS() ?? {}) as Record<string, unknown>;
  } catch (error) {
    // An alias that expands past the yaml library's limit.
    throw new AscError(`${file}: not valid YAML: ${firstLine((error as Error).message)}`, { code: 'E_FILE' });
  }
}

/** `:line:col` of the deepest key (or list item) of `path` that the file has, or ''. */
function positionOf(text: string, path: readonly (string | number)[]): string {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const step of path) {
    const pair = isMap(node) ? node.items.find((p) => isScalar(p.key) && p.key.value === step) : undefined;
    const next = pair ? pair.value : isSeq(node) && typeof step === 'number' ? node.items[step] : undefined;
    const at = (pair?.key ?? next) as Node | undefined;
    if (!isNode(at) || at.range === undefined || at.range === null) break;
    offset = at.range[0];
    node = next;
  }
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return `:${line}:${col}`;
}
