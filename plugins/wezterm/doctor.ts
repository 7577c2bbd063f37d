import {
  type AscDoctorCheck,
  type AscDoctorFinding,
  AscError,
  type AscTaskContext,
} from '../../src/index.ts';
import { hostAlias } from '../lima/limactl.ts';
import type { WeztermOptions } from './options.ts';
import { planConfig } from './plan.ts';
import { DOMAIN_PROBE, missingBindings, parseShowKeys } from './show-keys.ts';
import { wantedBindings } from './spec.ts';
import { configTitle } from './tasks.ts';

/**
 * `asc doctor` rows: the files as the task sees them (the same plan, so the row is `ok` exactly when the
 * task would be), and what the real WezTerm loaded, asked of its CLI: a binding or the domain that did
 * not land (a deploy not run yet, a config that fails to load, a later file that overrides ours).
 */
export function weztermDoctor(options: WeztermOptions, instance: string): AscDoctorCheck[] {
  return [
    {
      id: 'config',
      title: configTitle(options, instance),
      async run(t) {
        try {
          const plan = await planConfig(t, options);
          if (plan.changes.length === 0) return { status: 'ok', message: plan.found.join('; ') };
          return { status: 'fail', message: plan.changes.join('; '), fix: 'run `asc run wezterm.config`' };
        } catch (error) {
          if (!(error instanceof AscError)) throw error;
          return { status: 'fail', message: error.message, ...(error.hint ? { fix: error.hint } : {}) };
        }
      },
    },
    {
      id: 'loaded',
      title: `WezTerm itself loads domain ${options.domain} and asc's keys`,
      run: (t) => askWezterm(t, options, instance),
    },
  ];
}

async function askWezterm(
  t: AscTaskContext,
  options: WeztermOptions,
  instance: string,
): Promise<AscDoctorFinding> {
  if (!(await t.exec.which('wezterm'))) {
    return {
      status: 'warn',
      message: 'the wezterm CLI is not on PATH: asc cannot ask WezTerm what it loaded',
      fix: 'put WezTerm.app\'s CLI on PATH (export PATH="$PATH:/Applications/WezTerm.app/Contents/MacOS"), then run asc doctor again',
    };
  }
  const result = await t.exec.query('wezterm', ['--config', DOMAIN_PROBE, 'show-keys', '--lua'], {
    okCodes: Array.from({ length: 256 }, (_, code) => code),
  });
  const error = result.stderr.split('\n').find((line) => /ERROR/.test(line));
  if (result.exitCode !== 0 || error) {
    return {
      status: 'fail',
      message: `WezTerm could not load its config: ${(error ?? result.stderr.trim()) || `exit ${result.exitCode}`}`,
      fix: 'fix the config file WezTerm names (`wezterm show-keys` shows the same error), then run asc doctor again',
    };
  }
  const loaded = parseShowKeys(result.stdout);
  const problems = missingBindings(loaded, wantedBindings(options));
  const ours = loaded.domains.filter((domain) => domain.name === options.domain);
  const address = hostAlias(instance);
  if (ours.length !== 1)
    problems.unshift(
      `${ours.length === 0 ? 'no' : ours.length} domain${ours.length === 1 ? '' : 's'} named ${options.domain}`,
    );
  else if (ours[0]!.remote_address !== address || ours[0]!.multiplexing !== 'None') {
    problems.unshift(
      `domain ${options.domain} is ${ours[0]!.remote_address} with multiplexing ${ours[0]!.multiplexing}, not ${address} with None`,
    );
  }
  if (problems.length === 0) {
    return {
      status: 'ok',
      message: `WezTerm has domain ${options.domain} → ${address} and every binding asc wants`,
    };
  }
  return {
    status: 'fail',
    message: `WezTerm loaded: ${problems.join('; ')}`,
    fix: options.deploy
      ? `run \`asc run wezterm\` (its deploy copies the config where WezTerm reads it); if it reports ok, the config WezTerm loads is not the one asc edits: set plugins.wezterm.configFile to its source`
      : 'run `asc run wezterm`; if it reports ok, WezTerm loads another file than the one asc edits: set plugins.wezterm.configFile to it',
  };
}
