import {
  type AscDoctorCheck,
  type AscDoctorFinding,
  AscError,
  type AscTaskContext,
} from '../../src/index.ts';
import { describeAction } from './actions.ts';
import { type LuaFile, type LuaPlan, planFile } from './lua-files.ts';
import type { WeztermOptions } from './options.ts';
import { planners, weztermFiles } from './tasks.ts';

/**
 * `asc doctor` rows: the domain entry and the key bindings, read from the same files with the same
 * planners as the tasks, so a row is `ok` exactly when its task would be.
 */
export function weztermDoctor(options: WeztermOptions, instance: string): AscDoctorCheck[] {
  const plan = planners(options, instance);
  const rows: AscDoctorCheck[] = [
    {
      id: 'ssh-domain',
      title: `WezTerm domain ${options.domain} points at ${plan.want.remoteAddress} with multiplexing None`,
      run: (t) =>
        inspect(t, weztermFiles(t, options).config, plan.domain, 'wezterm.ssh-domain', (file) =>
          [
            `in the ssh_domains entry named ${options.domain} in ${file.shown}:`,
            `  remote_address = "${plan.want.remoteAddress}",`,
            `  multiplexing = "None",`,
          ].join('\n'),
        ),
    },
  ];
  if (plan.wantedKeys.length > 0) {
    rows.push({
      id: 'keys',
      title: `WezTerm binds ${plan.wantedKeys.map((want) => want.label).join(', ')} once each`,
      run: (t) =>
        inspect(t, weztermFiles(t, options).keys, plan.keys, 'wezterm.keys', (file) =>
          [
            `in the keys table of ${file.shown}, one binding each (and no other binding of the same keys):`,
            ...plan.wantedKeys.map(
              (want) =>
                `  { key = "${want.key}", mods = "${want.mods}", action = wezterm.action.${describeAction(want.action)} },`,
            ),
          ].join('\n'),
        ),
    });
  }
  return rows;
}

async function inspect(
  t: AscTaskContext,
  file: LuaFile,
  planText: (text: string, shown: string) => Promise<LuaPlan>,
  task: string,
  byHand: (file: LuaFile) => string,
): Promise<AscDoctorFinding> {
  try {
    const { plan } = await planFile(t, file, planText);
    if (plan.changes.length === 0) return { status: 'ok', message: plan.found.join('; ') };
    return {
      status: 'fail',
      message: `${file.shown}: ${plan.changes.join('; ')}`,
      fix: `run \`asc run ${task}\`, or set by hand ${byHand(file)}`,
    };
  } catch (error) {
    if (!(error instanceof AscError)) throw error;
    return { status: 'fail', message: error.message, ...(error.hint ? { fix: error.hint } : {}) };
  }
}
