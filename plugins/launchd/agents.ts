import path from 'node:path';
import { type AscAgentSpec, type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { type AgentFile, programArguments, readAgent, sha256, validateAgent } from './agent.ts';
import { agentPlace, type DesiredAgent, desiredAgent } from './agents-plist.ts';
import {
  bootout,
  disabledLabels,
  guiDomain,
  type JobStatus,
  type LaunchdSession,
  loadAgent,
  printJob,
  probeSession,
  requireSession,
} from './launchctl.ts';
import { confirmForeign, display, removeWithBackup } from './registrations.ts';
import { applicable } from './tasks.ts';

/** asc's record of the agents it registered: label → the plist it wrote, and the one launchd last loaded. */
interface AgentRecord {
  file: string;
  sha256: string;
  loaded?: string;
}
type AgentRecords = Record<string, AgentRecord>;

export const agentsKey = (instance: string) => `agents:${instance}`;

const records = async (t: AscTaskContext): Promise<AgentRecords> =>
  (await t.state.get<AgentRecords>(agentsKey(t.config.instance))) ?? {};

/** What one wanted agent needs: written (and whose file it replaces), loaded, or nothing. */
interface AgentStep {
  want: DesiredAgent;
  found: AgentFile;
  write: boolean;
  foreign: boolean;
  load: boolean;
  /** Its file is what asc writes, but asc has no record of it. */
  record: boolean;
  reasons: string[];
}

interface AgentsPlan {
  steps: AgentStep[];
  /** Agents asc registered that no plugin asks for any more. */
  stale: { label: string; file: string }[];
  reasons: string[];
  diff: string | undefined;
}

async function plan(t: AscTaskContext, agents: readonly AscAgentSpec[], session: LaunchdSession) {
  const known = await records(t);
  const disabled = await disabledLabels(t);
  const steps = await Promise.all(
    agents.map(async (agent): Promise<AgentStep> => {
      const want = await desiredAgent(t, agent);
      const [found, job] = await Promise.all([readAgent(t, want.file), printJob(t, session, want.label)]);
      const shown = display(t, want.file);
      const record = known[want.label];
      const reasons: string[] = [];
      const write = !found.exists || found.text !== want.text || (found.mode & 0o022) !== 0;
      const foreign = found.exists && found.text !== want.text && record?.sha256 !== found.sha256;
      if (!found.exists) reasons.push(`${shown} (${agent.title}) would be written and loaded`);
      else if (foreign)
        reasons.push(`${shown} was not written by asc: it would be backed up and replaced only with --yes`);
      else if (write)
        reasons.push(`${shown} differs from what asc writes: it would be replaced and reloaded`);
      let load = write;
      // asc's own plist, found without a record (its state folder was reset): recorded, so uninstall finds it.
      const unrecorded = !write && record === undefined;
      if (unrecorded) reasons.push(`asc has no record of ${shown}: it would be recorded`);
      if (!write) {
        if (!job.loaded) reasons.push(`${want.label} is not loaded: it would be`);
        else if (await disabled.isDisabled(t, session, want.label))
          reasons.push(`${want.label} is disabled: it would be enabled and loaded again`);
        else if (!holdsCurrent(record, found, job, want))
          reasons.push(`launchd holds an older ${shown}: it would be reloaded`);
        load = reasons.length > (unrecorded ? 1 : 0);
      }
      return { want, found, write, foreign, load, record: unrecorded, reasons };
    }),
  );
  const wanted = new Set(steps.map((step) => step.want.label));
  const stale = Object.entries(known)
    .filter(([label]) => !wanted.has(label))
    .map(([label, record]) => ({ label, file: record.file }));
  const reasons = [
    ...steps.flatMap((step) => step.reasons),
    ...stale.map(({ label }) => `${label} is no longer asked for: it would be unloaded and removed`),
  ];
  const diffs = await Promise.all([
    ...steps.filter((step) => step.write).map((step) => t.files.diff(step.want.file, step.want.text)),
    ...stale.map(({ file }) => t.files.diff(file, undefined)),
  ]);
  const diff = diffs.filter((d) => d !== undefined).join('\n') || undefined;
  return { steps, stale, reasons, diff } satisfies AgentsPlan;
}

/**
 * Does launchd hold the plist on disk? asc records the hash it loaded; without a record (asc's state folder
 * was reset) a job loaded from this file that runs the same arguments counts.
 */
function holdsCurrent(record: AgentRecord | undefined, found: AgentFile, job: JobStatus, want: DesiredAgent) {
  if (!found.exists || !job.loaded) return false;
  if (record?.loaded !== undefined) return record.loaded === found.sha256;
  return job.path === want.file && job.arguments.join('\0') === programArguments(want.plist).join('\0');
}

/** `launchd.agents`: every plugin's agents (the heal agent among them) registered, and none other of asc's. */
export function agentsTask(agents: readonly AscAgentSpec[]): AscTask {
  return {
    id: 'agents',
    title: `asc's scheduled agents are registered (${agents.map((a) => `${a.plugin}.${a.id}`).join(', ') || 'none'})`,
    phase: 'phase3',
    async check(t) {
      // Each agent's job is asked of launchd with the session probe, in the first round (printJob keeps
      // the answer for the run): on a converged Mac no print waits for another call.
      const domain = { uid: t.host.uid, domain: guiDomain(t) };
      for (const agent of agents) {
        printJob(t, domain, agentPlace(t.host.home, t.config.instance, agent).label).catch(() => undefined);
      }
      const session = await applicable(t, () => requireSession(t));
      if ('notApplicable' in session) return session;
      const found = await plan(t, agents, session);
      if (found.reasons.length === 0) {
        return ok(agents.length ? `${agents.length} agent(s) loaded` : 'asc registers no agent');
      }
      return drift(found.reasons.join('; '), found.diff);
    },
    async apply(t) {
      const session = await requireSession(t);
      const found = await plan(t, agents, session);
      for (const step of found.steps.filter((s) => s.write && s.foreign))
        await confirmForeign(t, step.want.file, step.found);
      for (const step of found.steps) await register(t, session, step);
      for (const { label, file } of found.stale) await unregister(t, session, label, file);
    },
  };
}

async function register(t: AscTaskContext, session: LaunchdSession, step: AgentStep): Promise<void> {
  const { want } = step;
  if (step.write) {
    if (step.found.exists && (step.found.mode & 0o022) !== 0) await removeWithBackup(t, want.file);
    const { backup } = await t.files.write(want.file, want.text, {
      mode: 0o644,
      validate: validateAgent(t, want.plist),
    });
    if (backup) t.log.info(`replaced ${display(t, want.file)}; its backup is ${backup}`);
    await setRecord(t, want.label, { file: want.file, sha256: sha256(want.text) });
  } else if (step.record) {
    await setRecord(t, want.label, { file: want.file, sha256: sha256(want.text) });
  }
  if (!step.load) return;
  // launchd opens the log itself, in a folder that must be there.
  await t.files.mkdir(path.dirname(want.log));
  await loadAgent(t, session, want.label, want.file);
  (await disabledLabels(t)).forget();
  await setRecord(t, want.label, { file: want.file, sha256: sha256(want.text), loaded: sha256(want.text) });
}

async function setRecord(t: AscTaskContext, label: string, record: AgentRecord): Promise<void> {
  await t.state.set(agentsKey(t.config.instance), { ...(await records(t)), [label]: record });
}

/** Unload (a run in progress ends with it) and remove one of asc's agents, after a backup; forget it. */
async function unregister(
  t: AscTaskContext,
  session: LaunchdSession | undefined,
  label: string,
  file: string,
) {
  if (session && (await printJob(t, session, label)).loaded) await bootout(t, session, label);
  const found = await readAgent(t, file);
  const known = await records(t);
  if (found.exists && found.sha256 === known[label]?.sha256) {
    t.log.info(`removed ${display(t, file)}; its backup is ${await removeWithBackup(t, file)}`);
  } else if (found.exists) {
    t.log.warn(`${display(t, file)} was changed after asc wrote it: left where it is`);
  }
  const { [label]: _gone, ...rest } = known;
  await t.state.set(agentsKey(t.config.instance), rest);
}

/** `asc uninstall`: every agent asc registered is unloaded and removed; a plist edited since is left alone. */
export function agentsUninstall(): AscTask {
  return {
    id: 'agents',
    title: "asc's scheduled agents are removed",
    async check(t) {
      const known = Object.entries(await records(t));
      if (known.length === 0) return ok('asc registered no agent');
      return drift(
        `${known.map(([, { file }]) => display(t, file)).join(', ')}: would be unloaded, backed up and removed`,
      );
    },
    async apply(t) {
      const probe = await probeSession(t);
      const session = probe.kind === 'ok' ? probe : undefined;
      for (const [label, { file }] of Object.entries(await records(t)))
        await unregister(t, session, label, file);
    },
  };
}
