import path from 'node:path';
import semver from 'semver';
import { AscError, type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { limaState, limaVersion } from '../lima/limactl.ts';
import {
  type AgentFile,
  type AgentPaths,
  agentPaths,
  agentPlist,
  agentText,
  isCellarPath,
  isExecutable,
  type PlistObject,
  programArguments,
  readAgent,
  type StableLimactl,
  sha256,
  stableLimactl,
  validateAgent,
} from './agent.ts';
import {
  disabledLabels,
  type LaunchdSession,
  type LoadedJob,
  loadAgent,
  printJob,
  requireSession,
} from './launchctl.ts';
import type { LaunchdOptions } from './options.ts';
import {
  backupFile,
  describeOwnership,
  display,
  isPresent,
  type Ownership,
  ownership,
  type Registration,
  readRegistration,
  recordKeys,
  removalPlan,
  removeRegistration,
  removeWithBackup,
} from './registrations.ts';

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
  const session = await requireSession(t);
  const version = await limaVersion(t);
  const found = await (await limaState(t)).instance(t, instance);
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
    limactl: await stableLimactl(t),
  };
}

/** The `limactl` arguments that register (or unregister) Lima's autostart with this version. */
export function limaAutostartArgs(version: string, instance: string, enable: boolean): string[] {
  if (semver.gte(version, AUTOSTART_SINCE)) return ['autostart', enable ? 'enable' : 'disable', instance];
  return ['start-at-login', `--enabled=${enable}`, instance];
}

export function launchdTasks(options: LaunchdOptions, instance: string): AscTask[] {
  const { ours } = agentPaths('~', instance);
  const registered: AscTask = {
    id: 'registered',
    title: `VM ${instance} starts at login (one registration)`,
    phase: 'phase3',
    needs: ['lima.instance'],
    async check(t) {
      const s = await situation(t, options, instance);
      const plan =
        s.mode === 'lima' ? await limaPlan(t, s, instance) : await plistPlan(t, s, options, instance);
      if (plan.reasons.length === 0) return ok(plan.summary);
      return drift(plan.reasons.join('; '), plan.diff);
    },
    async apply(t) {
      const s = await situation(t, options, instance);
      if (s.mode === 'lima') await applyLima(t, s, instance);
      else await applyPlist(t, s, options, instance);
    },
  };
  const loaded: AscTask = {
    id: 'loaded',
    title: `plist mode: LaunchAgent ${ours.label} is loaded`,
    phase: 'phase3',
    needs: ['launchd.registered'],
    async check(t) {
      const s = await situation(t, options, instance);
      if (s.mode === 'lima') {
        return ok(
          "lima mode: launchd loads Lima's job at the next login; asc does not bootstrap it, which would start the VM a second time",
        );
      }
      const state = await loadState(t, s, instance);
      return state.reason === undefined ? ok(state.summary) : drift(state.reason);
    },
    async apply(t) {
      const s = await situation(t, options, instance);
      const state = await loadState(t, s, instance);
      if (state.reason === undefined) return;
      const { label, file } = s.paths.ours;
      if (state.job?.state === 'running') {
        const pid = state.job.pid ? ` (pid ${state.job.pid})` : '';
        const question = `launchd runs ${label} now${pid}: reloading the changed plist stops that \`limactl start --foreground\`, and the VM with it, then starts it again. Reload it now?`;
        if (!(await t.confirm(question))) {
          throw new AscError(`${label} runs an older plist, and reloading it restarts the VM`, {
            code: 'E_REFUSED',
            hint: `run \`asc run ${t.id} --yes\` to reload it now, or log out and back in: launchd reads ${display(t, file)} at login`,
          });
        }
      }
      await loadAgent(t, s.session, label, file);
      (await disabledLabels(t)).forget();
      await t.state.set(recordKeys.loaded(instance), { sha256: state.sha256 });
    },
  };
  return options.mode === 'lima' ? [registered] : [registered, loaded];
}

interface Plan {
  reasons: string[];
  summary: string;
  diff?: string;
}

interface PlistPlan extends Plan {
  desired: string;
  desiredPlist: PlistObject;
  owner: Ownership;
  ours: AgentFile;
  lima: Registration;
  rewrite: boolean;
  badMode: boolean;
}

/** plist mode: asc's LaunchAgent as the options say, and no Lima registration beside it. */
async function plistPlan(
  t: AscTaskContext,
  s: Situation,
  options: LaunchdOptions,
  instance: string,
): Promise<PlistPlan> {
  const { brewPrefix } = await t.host.facts();
  const desiredPlist = agentPlist({
    label: s.paths.ours.label,
    instance,
    limactl: s.limactl.path,
    instanceDir: s.instanceDir,
    brewPrefix,
    keepAlive: options.keepAlive,
    limaHome: t.host.env.LIMA_HOME || undefined,
  });
  const desired = await agentText(desiredPlist);
  const [ours, lima] = await Promise.all([
    readAgent(s.paths.ours.file),
    readRegistration(t, s.session, s.paths.lima),
  ]);
  const owner = await ownership(t, instance, s.paths.ours.label, ours, desired);
  const shown = display(t, s.paths.ours.file);
  const reasons: string[] = [];
  if (isPresent(lima)) {
    const where = lima.agent.exists ? display(t, lima.file) : `the loaded job ${lima.label}`;
    reasons.push(`Lima's autostart ${where} is a second registration: ${removalPlan(lima)}`);
  }
  const rewrite = !ours.exists || ours.text !== desired;
  if (!ours.exists) reasons.push(`${shown} does not exist`);
  else if (rewrite && owner === 'asc') reasons.push(`${shown} differs from the options`);
  else if (rewrite) {
    const how = owner === 'foreign' ? 'backed up and replaced only with --yes' : 'backed up and replaced';
    reasons.push(`${shown} ${describeOwnership(owner, ours)}: it would be ${how}`);
  }
  const badMode = ours.exists && (ours.mode & 0o022) !== 0;
  if (badMode) {
    reasons.push(
      `${shown} has mode ${ours.mode.toString(8)}: launchd refuses a plist that group or others may write`,
    );
  }
  const running =
    lima.job.loaded && lima.job.state === 'running' ? `; ${lima.label} still runs until logout` : '';
  return {
    reasons,
    summary: `asc's LaunchAgent ${shown}${running}`,
    ...(rewrite ? { diff: await t.files.diff(s.paths.ours.file, desired) } : {}),
    desired,
    desiredPlist,
    owner,
    ours,
    lima,
    rewrite,
    badMode,
  };
}

async function applyPlist(t: AscTaskContext, s: Situation, options: LaunchdOptions, instance: string) {
  const plan = await plistPlan(t, s, options, instance);
  const { file } = s.paths.ours;
  if (plan.owner === 'foreign' && plan.rewrite) await confirmForeign(t, file, plan.ours);
  if (isPresent(plan.lima)) await removeRegistration(t, s.session, plan.lima);
  if (plan.badMode) {
    // t.files.write keeps an existing file's mode: a new file gets 0644.
    const backup = await removeWithBackup(t, file);
    t.log.info(
      `removed ${display(t, file)} (mode ${plan.ours.exists ? plan.ours.mode.toString(8) : '?'}); its backup is ${backup}`,
    );
  }
  if (!plan.rewrite && !plan.badMode) return;
  const { backup } = await t.files.write(file, plan.desired, {
    mode: 0o644,
    validate: validateAgent(t, plan.desiredPlist),
  });
  if (backup) {
    const what = plan.owner === 'legacy' ? "the PRD's plist" : `the old ${display(t, file)}`;
    t.log.info(`replaced ${what}; its backup is ${backup}`);
  }
  await t.state.set(recordKeys.plist(instance), { file, sha256: sha256(plan.desired) });
}

/** A file asc did not write is replaced only with `--yes` (or a yes at the prompt), after its backup. */
async function confirmForeign(t: AscTaskContext, file: string, agent: AgentFile) {
  const why = agent.exists && agent.error ? ` (${agent.error})` : '';
  const question = `${display(t, file)} was not written by asc${why}. Back it up and replace it?`;
  if (await t.confirm(question)) return;
  throw new AscError(`${file} was not written by asc${why}; asc will not replace it without asking`, {
    code: 'E_REFUSED',
    hint: `read it first; \`asc run ${t.id} --yes\` backs it up (to ~/.local/state/asc/backups) and replaces it`,
  });
}

/** lima mode: Lima's own plist, written by limactl and enabled, and no plist of asc's label beside it. */
async function limaPlan(
  t: AscTaskContext,
  s: Situation,
  instance: string,
): Promise<Plan & { ours: Registration; owner: Ownership; lima: AgentFile; reregister: boolean }> {
  const [ours, lima] = await Promise.all([
    readRegistration(t, s.session, s.paths.ours),
    readAgent(s.paths.lima.file),
  ]);
  const owner = await ownership(t, instance, s.paths.ours.label, ours.agent);
  const reasons: string[] = [];
  if (isPresent(ours)) {
    const what = ours.agent.exists
      ? `${display(t, ours.file)} ${describeOwnership(owner, ours.agent)} and`
      : `the loaded job ${ours.label}`;
    const ask = owner === 'foreign' && ours.agent.exists ? ' (only with --yes)' : '';
    reasons.push(`${what} is a second registration: ${removalPlan(ours)}${ask}`);
  }
  const problems = await limaProblems(t, s, instance, lima);
  if (semver.lt(s.version, START_AT_LOGIN_SINCE) && problems.length > 0) {
    problems.push(`limactl ${s.version} cannot register it (Lima ${START_AT_LOGIN_SINCE} added it)`);
  }
  reasons.push(...problems);
  const running =
    ours.job.loaded && ours.job.state === 'running' ? `; ${ours.label} still runs until logout` : '';
  return {
    reasons,
    summary: `Lima's autostart ${display(t, s.paths.lima.file)}${running}`,
    ours,
    owner,
    lima,
    reregister: problems.length > 0,
  };
}

/** Why Lima's registration is not the one wanted, or [] when it is. */
async function limaProblems(
  t: AscTaskContext,
  s: Situation,
  instance: string,
  lima: AgentFile,
): Promise<string[]> {
  const shown = display(t, s.paths.lima.file);
  if (!lima.exists) {
    const command = limaAutostartArgs(s.version, instance, true).join(' ');
    return [`Lima's autostart is not registered: \`limactl ${command}\` would write ${shown}`];
  }
  if (!lima.plist)
    return [`${shown} is ${lima.error}: it would be backed up and registered again (only with --yes)`];
  const problems: string[] = [];
  const args = programArguments(lima.plist);
  const program = args[0] ?? '';
  const wanted = ['start', instance, '--foreground'];
  if (lima.plist.Label !== s.paths.lima.label || args.slice(1).join(' ') !== wanted.join(' ')) {
    problems.push(
      `${shown} does not run \`limactl start ${instance} --foreground\` as ${s.paths.lima.label}`,
    );
  } else if (!path.isAbsolute(program) || !(await isExecutable(program))) {
    problems.push(
      `${shown} runs ${program}, which is missing or cannot run (a \`brew upgrade lima\` removes old versions)`,
    );
  } else if (isCellarPath(program) && program !== s.limactl.path) {
    problems.push(
      `${shown} runs the versioned path ${program}, which the next \`brew upgrade lima\` removes`,
    );
  }
  if (lima.plist.WorkingDirectory !== s.instanceDir) {
    problems.push(
      `${shown} works in ${String(lima.plist.WorkingDirectory)}, not the instance folder ${s.instanceDir}`,
    );
  }
  if (await (await disabledLabels(t)).isDisabled(t, s.session, s.paths.lima.label)) {
    problems.push(
      `${s.paths.lima.label} is disabled (launchctl disable): launchd would not load it at login`,
    );
  }
  return problems;
}

async function applyLima(t: AscTaskContext, s: Situation, instance: string) {
  const plan = await limaPlan(t, s, instance);
  const { file } = s.paths.lima;
  // Every refusal comes before the first change: nothing is removed unless its replacement can be made.
  if (plan.reregister && semver.lt(s.version, START_AT_LOGIN_SINCE)) {
    throw new AscError(
      `limactl ${s.version} cannot register Lima's autostart: \`limactl start-at-login\` came with Lima ${START_AT_LOGIN_SINCE}`,
      {
        code: 'E_TOOL_MISSING',
        hint: 'upgrade with `brew upgrade lima`, or set `mode: plist` (or `auto`) under plugins.launchd',
      },
    );
  }
  if (isPresent(plan.ours) && plan.owner === 'foreign' && plan.ours.agent.exists) {
    await confirmForeign(t, s.paths.ours.file, plan.ours.agent);
  }
  if (plan.reregister && plan.lima.exists && !plan.lima.plist) await confirmForeign(t, file, plan.lima);
  if (isPresent(plan.ours)) await removeRegistration(t, s.session, plan.ours);
  if (!plan.reregister) return;
  if (plan.lima.exists) {
    // limactl rewrites its file in place: keep what was there.
    t.log.info(`${display(t, file)} is rewritten by limactl; its backup is ${await backupFile(t, file)}`);
  }
  const args = limaAutostartArgs(s.version, instance, true);
  // Run through the stable path: Lima writes the limactl it was started as (os.Executable) into the plist.
  const result = await t.exec.run(s.limactl.path, args, { timeoutMs: 60_000 });
  // Before 2.2, start-at-login reports a failure as a warning and exits 0.
  const warning = /level=(warning|error|fatal) msg=(.*)$/m.exec(result.stderr);
  if (warning) {
    throw new AscError(`limactl ${args.join(' ')} did not register the VM: ${warning[2]}`, {
      code: 'E_COMMAND_FAILED',
      hint: `run it yourself to see the whole message: ${s.limactl.path} ${args.join(' ')}`,
    });
  }
  (await disabledLabels(t)).forget();
  if (!plan.lima.exists) {
    await t.state.set(recordKeys.limaAutostart(instance), {
      label: s.paths.lima.label,
      file,
      command: [s.limactl.path, ...args],
      registeredAt: new Date().toISOString(),
    });
  }
}

interface LoadState {
  /** Why it needs (re)loading; undefined when loaded as it should be. */
  reason: string | undefined;
  summary: string;
  job: LoadedJob | undefined;
  sha256: string;
}

/** plist mode: launchd knows the job, from the plist on disk as it is now, and it is not disabled. */
async function loadState(t: AscTaskContext, s: Situation, instance: string): Promise<LoadState> {
  const { label, file } = s.paths.ours;
  const agent = await readAgent(file);
  if (!agent.exists) {
    return { reason: `${display(t, file)} does not exist`, summary: '', job: undefined, sha256: '' };
  }
  const status = await printJob(t, s.session, label);
  const base = { job: status.loaded ? status : undefined, sha256: agent.sha256 };
  if (!status.loaded) {
    return { ...base, reason: `${label} is not loaded (launchctl print exits 113)`, summary: '' };
  }
  const summary = describeJob(status);
  if (await (await disabledLabels(t)).isDisabled(t, s.session, label)) {
    return { ...base, reason: `${label} is disabled: launchd would not load it at the next login`, summary };
  }
  const record = await t.state.get<{ sha256?: string }>(recordKeys.loaded(instance));
  if (record?.sha256 === agent.sha256) return { ...base, reason: undefined, summary };
  // No record (loaded by hand, or asc's state folder was reset): trust what launchd runs when it matches.
  const same =
    record === undefined &&
    status.path === file &&
    status.arguments.join('\0') === programArguments(agent.plist).join('\0');
  if (same) return { ...base, reason: undefined, summary };
  const restart = status.state === 'running' ? ', which restarts the VM' : '';
  return {
    ...base,
    reason: `launchd holds an older ${display(t, file)}: it would be reloaded${restart}`,
    summary,
  };
}

function describeJob(job: LoadedJob): string {
  const pid = job.state === 'running' && job.pid ? ` (pid ${job.pid})` : '';
  return `loaded, ${job.state}${pid}, last exit code ${job.lastExit ?? 'unknown'}`;
}
