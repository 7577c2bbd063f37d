import semver from 'semver';
import { AscError, type AscTaskContext } from '../../src/index.ts';
import { limaState, limaVersion } from '../lima/api.ts';
import { type AgentPaths, agentPaths, type StableLimactl, stableLimactl } from './agent.ts';
import { disabledLabels, guiDomain, type LaunchdSession, printJob, requireSession } from './launchctl.ts';
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
  // In one round, with the host facts and whether launchd applies here at all: all a check reads,
  // launchctl's list of disabled labels and both registrations' jobs included, so that the plans find
  // them read. Off a Mac or without a GUI login the session says so and nothing read is used.
  const domain = { uid: t.host.uid, domain: guiDomain(t) };
  const applies = requireSession(t);
  const read = Promise.all([
    limaVersion(t),
    limaState(t).then((state) => state.instance(t, instance)),
    stableLimactl(t),
    disabledLabels(t).then((labels) => labels.isDisabled(t, domain, '').catch(() => false)),
    ...Object.values(agentPaths(t.host.home, instance)).map(({ label }) =>
      printJob(t, domain, label).catch(() => undefined),
    ),
  ]);
  read.catch(() => undefined);
  // Whether launchd applies comes first: off a Mac, limactl's own failure is not the reason.
  const session = await applies;
  const [version, found, limactl] = await read;
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
