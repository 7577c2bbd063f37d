import semver from 'semver';
import { AscError, type AscTaskContext } from '../../src/index.ts';
import { limaState, limaVersion } from '../lima/api.ts';
import { type AgentPaths, agentPaths, type StableLimactl, stableLimactl } from './agent.ts';
import { disabledLabels, type LaunchdSession, printJob, requireSession } from './launchctl.ts';
import type { LaunchdOptions } from './options.ts';

/** `limactl start-at-login` came with Lima 0.21.0; 2.2.0 replaced it with `limactl autostart`. */
export const START_AT_LOGIN_SINCE = '0.21.0';
export const AUTOSTART_SINCE = '2.2.0';

/** What every launchd task works from, read once per check. */
export interface Situation {
  session: LaunchdSession;
  version: string;
  mode: 'lima' | 'plist';
  paths: AgentPaths;
  instanceDir: string;
  limactl: StableLimactl;
}

/** `auto` is `lima` when the installed limactl can register Lima's own autostart, else `plist`. */
export function resolveMode(option: LaunchdOptions['mode'], version: string): 'lima' | 'plist' {
  if (option !== 'auto') return option;
  return semver.gte(version, START_AT_LOGIN_SINCE) ? 'lima' : 'plist';
}

export async function situation(
  t: AscTaskContext,
  options: LaunchdOptions,
  instance: string,
): Promise<Situation> {
  // First whether launchd applies here at all (off a Mac nothing else runs); then, in one round, all a
  // check reads, launchctl's list of disabled labels included, so that the plans find it read.
  const session = await requireSession(t);
  const [version, found, limactl] = await Promise.all([
    limaVersion(t),
    limaState(t).then((state) => state.instance(t, instance)),
    stableLimactl(t),
    disabledLabels(t).then((labels) => labels.isDisabled(t, session, '').catch(() => false)),
    // Both registrations' jobs, read here so that the plans find them read.
    ...Object.values(agentPaths(t.host.home, instance)).map(({ label }) =>
      printJob(t, session, label).catch(() => undefined),
    ),
  ]);
  if (!found) {
    throw new AscError(`no instance named ${instance}`, {
      code: 'E_COMMAND_FAILED',
      hint: 'run `asc run lima.instance`',
    });
  }
  return {
    session,
    version,
    mode: resolveMode(options.mode, version),
    paths: agentPaths(t.host.home, instance),
    instanceDir: found.dir,
    limactl,
  };
}

/** The `limactl` arguments that register (or unregister) Lima's autostart with this version. */
export function limaAutostartArgs(version: string, instance: string, enable: boolean): string[] {
  if (semver.gte(version, AUTOSTART_SINCE)) return ['autostart', enable ? 'enable' : 'disable', instance];
  return ['start-at-login', `--enabled=${enable}`, instance];
}
