import type { AscTaskContext } from '../../src/index.ts';
import {
  type AgentFile,
  agentPlist,
  agentText,
  type PlistObject,
  programArguments,
  readAgent,
  sha256,
  validateAgent,
} from './agent.ts';
import { disabledLabels, type LoadedJob, printJob } from './launchctl.ts';
import type { LaunchdOptions } from './options.ts';
import {
  confirmForeign,
  describeOwnership,
  display,
  isPresent,
  type Ownership,
  ownership,
  type Plan,
  type Registration,
  readRegistration,
  recordKeys,
  recordReplaced,
  removalPlan,
  removeRegistration,
  removeWithBackup,
} from './registrations.ts';
import type { Situation } from './situation.ts';

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
export async function plistPlan(
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
    readAgent(t, s.paths.ours.file),
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

export async function applyPlist(t: AscTaskContext, s: Situation, options: LaunchdOptions, instance: string) {
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
  if (backup && plan.owner !== 'asc') await recordReplaced(t, file, backup);
  if (backup) {
    const what = plan.owner === 'legacy' ? 'the hand-made plist' : `the old ${display(t, file)}`;
    t.log.info(`replaced ${what}; its backup is ${backup}`);
  }
  await t.state.set(recordKeys.plist(instance), { file, sha256: sha256(plan.desired) });
}

export interface LoadState {
  /** Why it needs (re)loading; undefined when loaded as it should be. */
  reason: string | undefined;
  summary: string;
  job: LoadedJob | undefined;
  sha256: string;
}

/** plist mode: launchd knows the job, from the plist on disk as it is now, and it is not disabled. */
export async function loadState(t: AscTaskContext, s: Situation, instance: string): Promise<LoadState> {
  const { label, file } = s.paths.ours;
  const agent = await readAgent(t, file);
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
