import path from 'node:path';
import type { AscDoctorCheck, AscDoctorFinding, AscTaskContext } from '../../src/index.ts';
import { limaVersion } from '../lima/api.ts';
import {
  type AgentFile,
  agentPaths,
  isCellarPath,
  isExecutable,
  programArguments,
  readAgent,
} from './agent.ts';
import { disabledLabels, type LaunchdSession, printJob, probeSession } from './launchctl.ts';
import type { LaunchdOptions } from './options.ts';
import { describeOwnership, display, ownership } from './registrations.ts';
import { resolveMode } from './situation.ts';

/** What the rows look at, read once for all of them. */
type Look =
  | { skip: AscDoctorFinding }
  | {
      skip?: undefined;
      session: LaunchdSession;
      mode: 'lima' | 'plist';
      /** The registration that starts the VM: the mode's own when it exists, else the one there is. */
      active:
        | { which: 'lima' | 'ours'; label: string; file: string; agent: AgentFile & { exists: true } }
        | undefined;
      ours: AgentFile;
      lima: AgentFile;
    };

async function look(t: AscTaskContext, options: LaunchdOptions, instance: string): Promise<Look> {
  return t.once(`launchd:doctor:${instance}`, async (): Promise<Look> => {
    const probe = await probeSession(t);
    if (probe.kind !== 'ok') return { skip: { status: 'warn', message: probe.reason, fix: probe.hint } };
    let version: string;
    try {
      version = await limaVersion(t);
    } catch (error) {
      return {
        skip: {
          status: 'warn',
          message: `could not read limactl's version: ${(error as Error).message}`,
          fix: 'brew install lima',
        },
      };
    }
    const mode = resolveMode(options.mode, version);
    const paths = agentPaths(t.host.home, instance);
    const [ours, lima] = await Promise.all([readAgent(t, paths.ours.file), readAgent(t, paths.lima.file)]);
    const candidates = [
      { which: 'lima' as const, ...paths.lima, agent: lima },
      { which: 'ours' as const, ...paths.ours, agent: ours },
    ].filter((c): c is typeof c & { agent: AgentFile & { exists: true } } => c.agent.exists);
    const preferred = mode === 'lima' ? 'lima' : 'ours';
    const active = candidates.find((c) => c.which === preferred) ?? candidates[0];
    return { session: probe, mode, active, ours, lima };
  });
}

const FIX = 'asc run launchd';

/** `asc doctor` rows: the registration (exactly one), the job's last exit, the program it runs. */
export function launchdDoctor(options: LaunchdOptions, instance: string): AscDoctorCheck[] {
  const { ours: oursPaths, lima: limaPaths } = agentPaths('~', instance);
  return [
    {
      id: 'registration',
      title: `one autostart registration for ${instance}`,
      async run(t) {
        const seen = await look(t, options, instance);
        if (seen.skip) return seen.skip;
        const { ours, lima, mode, active } = seen;
        const shown = (file: string) => display(t, file);
        const paths = agentPaths(t.host.home, instance);
        if (ours.exists && lima.exists) {
          return {
            status: 'fail',
            message: `two registrations start ${instance} at login, ${shown(paths.lima.file)} and ${shown(paths.ours.file)}: their jobs race`,
            fix: `${FIX} (keeps the ${mode} mode's one, backs up and removes the other)`,
          };
        }
        if (!active) {
          return {
            status: 'fail',
            message: `nothing starts ${instance} at login: neither ${limaPaths.label}.plist nor ${oursPaths.label}.plist is in ~/Library/LaunchAgents`,
            fix: FIX,
          };
        }
        if (active.which === 'ours') {
          const owner = await ownership(t, instance, paths.ours.label, ours);
          if (owner !== 'asc') {
            return {
              status: owner === 'legacy' ? 'fail' : 'warn',
              message: `${shown(active.file)} ${describeOwnership(owner, ours)}`,
              fix: FIX,
            };
          }
        }
        const which = active.which === 'lima' ? "Lima's own autostart" : "asc's LaunchAgent";
        if (await (await disabledLabels(t)).isDisabled(t, seen.session, active.label)) {
          return {
            status: 'fail',
            message: `${which} ${shown(active.file)} is disabled: launchd does not load it at login`,
            fix: `launchctl enable ${seen.session.domain}/${active.label}`,
          };
        }
        const expected = mode === 'lima' ? 'lima' : 'ours';
        if (active.which !== expected) {
          return {
            status: 'warn',
            message: `${which} ${shown(active.file)} is registered, but the launchd plugin's mode is ${mode}`,
            fix: FIX,
          };
        }
        return { status: 'ok', message: `${which}: ${shown(active.file)}` };
      },
    },
    {
      id: 'last-exit',
      title: "the autostart job's last exit",
      async run(t) {
        const seen = await look(t, options, instance);
        if (seen.skip) return seen.skip;
        if (!seen.active) return { status: 'warn', message: 'no registration, so no job', fix: FIX };
        const { label, agent, which } = seen.active;
        const job = await printJob(t, seen.session, label);
        if (!job.loaded) {
          if (which === 'lima') {
            return {
              status: 'ok',
              message: `${label} is not loaded in this session: launchd loads it at the next login`,
            };
          }
          return {
            status: 'warn',
            message: `${label} is not loaded (launchctl print exits 113)`,
            fix: `asc run launchd.loaded`,
          };
        }
        if (job.state === 'running') {
          return { status: 'ok', message: `${label} runs${job.pid ? ` (pid ${job.pid})` : ''}` };
        }
        if (job.lastExitCode === null || job.lastExitCode === 0) {
          return { status: 'ok', message: `${label} is loaded; last exit code ${job.lastExit ?? 'unknown'}` };
        }
        if (job.lastExitCode === 78) {
          return {
            status: 'fail',
            message: `launchd could not start ${job.program ?? label} (last exit code ${job.lastExit}): the program is missing or cannot run`,
            fix: FIX,
          };
        }
        return {
          status: 'fail',
          message: `${label} exited with ${job.lastExit}`,
          fix: `read ${logFile(agent.plist, 'StandardErrorPath') ?? 'its StandardErrorPath log'}, then \`limactl start ${instance}\``,
        };
      },
    },
    {
      id: 'program',
      title: "the autostart job's program exists",
      async run(t) {
        const seen = await look(t, options, instance);
        if (seen.skip) return seen.skip;
        if (!seen.active) return { status: 'warn', message: 'no registration, so no program', fix: FIX };
        const program = programArguments(seen.active.agent.plist)[0];
        const shown = display(t, seen.active.file);
        if (!program) return { status: 'fail', message: `${shown} names no program`, fix: FIX };
        if (!path.isAbsolute(program) || !(await isExecutable(t, program))) {
          return {
            status: 'fail',
            message: `${shown} runs ${program}, which is missing or cannot run (a \`brew upgrade lima\` removes old versions)`,
            fix: FIX,
          };
        }
        if (isCellarPath(program)) {
          return {
            status: 'warn',
            message: `${shown} runs the versioned path ${program}: the next \`brew upgrade lima\` removes it`,
            fix: FIX,
          };
        }
        return { status: 'ok', message: `${shown} runs ${program}` };
      },
    },
  ];
}

/** A log path of the plist, relative ones resolved against its WorkingDirectory as launchd does. */
function logFile(plist: Record<string, unknown> | undefined, key: string): string | undefined {
  const file = plist?.[key];
  if (typeof file !== 'string') return undefined;
  const dir = typeof plist?.WorkingDirectory === 'string' ? plist.WorkingDirectory : '/';
  return path.resolve(dir, file);
}
