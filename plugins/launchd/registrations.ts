import { AscError, type AscTaskContext } from '../../src/index.ts';
import { type AgentFile, isLegacyPlist, readAgent } from './agent.ts';
import { bootout, type JobStatus, type LaunchdSession, printJob } from './launchctl.ts';

/** asc's records (t.state) of what it did, per instance. */
export const recordKeys = {
  /** `{ file, sha256 }` of the plist asc last wrote: a file under our label with another hash is not asc's. */
  plist: (instance: string) => `plist:${instance}`,
  /** `{ sha256 }` of the plist launchd last loaded through asc: a different file on disk needs a reload. */
  loaded: (instance: string) => `loaded:${instance}`,
  /** `{ label, file, registeredAt, command }`: asc, not the user, registered Lima's autostart. */
  limaAutostart: (instance: string) => `lima-autostart:${instance}`,
  /** `{ [file]: backup }`: registrations asc removed or replaced, as they were first: uninstall puts them back. */
  replaced: 'replaced',
};

/** Remember what a registration file held before asc first removed or replaced it (a later change keeps the first). */
export async function recordReplaced(
  t: AscTaskContext,
  file: string,
  backup: string | undefined,
): Promise<void> {
  if (!backup) return;
  const known = (await t.state.get<Record<string, string>>(recordKeys.replaced)) ?? {};
  if (known[file]) return;
  await t.state.set(recordKeys.replaced, { ...known, [file]: backup });
}

/** Who a file under asc's label (`io.lima.<inst>.plist`) belongs to. */
export type Ownership = 'absent' | 'asc' | 'legacy' | 'foreign';

/**
 * asc recognises its own plist by the sha256 of what it wrote (kept with t.state), or by being exactly what
 * it would write now. A hand-made legacy plist is recognised by its shape. Anything else, a hand edit of asc's
 * plist included, is someone else's: asc backs it up and replaces it only after asking.
 */
export async function ownership(
  t: AscTaskContext,
  instance: string,
  label: string,
  file: AgentFile,
  desired?: string,
): Promise<Ownership> {
  if (!file.exists) return 'absent';
  const record = await t.state.get<{ sha256?: string }>(recordKeys.plist(instance));
  if (record?.sha256 === file.sha256 || file.text === desired) return 'asc';
  if (isLegacyPlist(file.plist, label, instance)) return 'legacy';
  return 'foreign';
}

/** "is asc's own", "is a hand-made legacy plist (…)", "was not written by asc (…)". */
export function describeOwnership(owner: Ownership, file: AgentFile): string {
  switch (owner) {
    case 'asc':
      return "is asc's own";
    case 'legacy':
      return 'is a hand-made plist (plain `limactl start`, which launchd kills with its process group; lima#2142)';
    default:
      return `was not written by asc${file.exists && file.error ? ` (${file.error})` : ''}`;
  }
}

/** `~/Library/LaunchAgents/x.plist` for messages. */
export function display(t: AscTaskContext, file: string): string {
  const home = t.host.home;
  return file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file;
}

/** Back the file up into the run's backup folder (never beside it: launchd reads every file in
 * ~/Library/LaunchAgents, so a backup there would be a second job), then remove it. */
export async function removeWithBackup(t: AscTaskContext, file: string): Promise<string> {
  const { backup } = await t.files.remove(file);
  return backup ?? '(it was empty)';
}

/** A registration: its label, its file, and what launchd holds for it now. */
export interface Registration {
  label: string;
  file: string;
  agent: AgentFile;
  job: JobStatus;
}

export async function readRegistration(
  t: AscTaskContext,
  session: LaunchdSession,
  reg: { label: string; file: string },
): Promise<Registration> {
  const [agent, job] = await Promise.all([readAgent(t, reg.file), printJob(t, session, reg.label)]);
  return { ...reg, agent, job };
}

/**
 * Is there anything of this registration to undo? A job that runs now is the VM's host agent
 * (`limactl start --foreground`): unloading it would stop the VM, so it is left to end at logout and does
 * not count; without its file it is not loaded again at the next login.
 */
export function isPresent(reg: Registration): boolean {
  return reg.agent.exists || (reg.job.loaded && reg.job.state !== 'running');
}

/** What removing it would do, for a check's reason: "it would be unloaded, backed up … and removed". */
export function removalPlan(reg: Registration): string {
  const steps: string[] = [];
  if (reg.job.loaded && reg.job.state !== 'running') steps.push('unloaded');
  if (reg.agent.exists) steps.push('backed up outside ~/Library/LaunchAgents', 'removed');
  const last = steps.pop();
  return `it would be ${steps.length > 0 ? `${steps.join(', ')} and ${last}` : last}`;
}

/** Unload (unless it runs the VM now), back up and remove a registration. */
export async function removeRegistration(
  t: AscTaskContext,
  session: LaunchdSession,
  reg: Registration,
): Promise<void> {
  if (reg.job.loaded && reg.job.state !== 'running') {
    await bootout(t, session, reg.label);
    t.log.info(`unloaded ${reg.label}`);
  } else if (reg.job.loaded) {
    t.log.warn(
      `${reg.label} runs now${reg.job.pid ? ` (pid ${reg.job.pid})` : ''} and may be the VM's host agent: it stays loaded until you log out`,
    );
  }
  if (reg.agent.exists) {
    const backup = await removeWithBackup(t, reg.file);
    await recordReplaced(t, reg.file, backup);
    t.log.info(`removed ${display(t, reg.file)}; its backup is ${backup}`);
  }
}

/** What a check found: the reasons it drifts ([] when converged), the ok summary, and a diff. */
export interface Plan {
  reasons: string[];
  summary: string;
  diff?: string;
}

/** A file asc did not write is replaced only with `--yes` (or a yes at the prompt), after its backup. */
export async function confirmForeign(t: AscTaskContext, file: string, agent: AgentFile) {
  const why = agent.exists && agent.error ? ` (${agent.error})` : '';
  const question = `${display(t, file)} was not written by asc${why}. Back it up and replace it?`;
  if (await t.confirm(question)) return;
  throw new AscError(`${file} was not written by asc${why}; asc will not replace it without asking`, {
    code: 'E_REFUSED',
    hint: `read it first; \`asc run ${t.id} --yes\` backs it up (to ~/.local/state/asc/backups) and replaces it`,
  });
}
