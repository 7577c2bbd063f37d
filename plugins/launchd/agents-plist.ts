import path from 'node:path';
import type { AscAgentSpec, AscCalendarInterval, AscTaskContext } from '../../src/index.ts';
import { agentText, type PlistObject, stableLimactl } from './agent.ts';

/** launchd's names for the calendar keys (launchd.plist(5), StartCalendarInterval). */
const CALENDAR_KEYS: Record<keyof AscCalendarInterval, string> = {
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  weekday: 'Weekday',
  month: 'Month',
};

/** Variables that move where asc or the tools it runs look; a job gets none of the shell's environment. */
const PASSED_ON = ['LIMA_HOME', 'COLIMA_HOME', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME'] as const;

/** launchd's default PATH for a job; `/usr/local/bin` is where installers outside Homebrew put tools (op). */
const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Where an agent's label, plist and log are. */
export interface AgentPlace {
  label: string;
  file: string;
  log: string;
}

/** `io.ascalon.<instance>.<plugin>.<id>`, its plist in ~/Library/LaunchAgents, its log in ~/Library/Logs/asc. */
export function agentPlace(
  home: string,
  instance: string,
  agent: { plugin: string; id: string },
): AgentPlace {
  const label = `io.ascalon.${instance}.${agent.plugin}.${agent.id}`;
  return {
    label,
    file: path.join(home, 'Library', 'LaunchAgents', `${label}.plist`),
    log: path.join(home, 'Library', 'Logs', 'asc', `${label}.log`),
  };
}

/** An agent as asc will write it: the plist object, its text, and where it goes. */
export interface DesiredAgent extends AgentPlace {
  agent: AscAgentSpec;
  plist: PlistObject;
  text: string;
}

/**
 * The plist of one agent, from the agent, the config and the host, with a fixed key order so the same
 * inputs give the same bytes. Node and asc's script by absolute paths (decision 46), the config file named,
 * the calendar times as launchd spells them, one log for stdout and stderr, a Background job (throttled
 * CPU and I/O). No RunAtLoad: loading it does not run it; the calendar does.
 */
export async function desiredAgent(t: AscTaskContext, agent: AscAgentSpec): Promise<DesiredAgent> {
  const place = agentPlace(t.host.home, t.config.instance, agent);
  const [program, { brewPrefix }, limactl] = await Promise.all([
    t.host.ascProgram(),
    t.host.facts(),
    stableLimactl(t).catch(() => undefined),
  ]);
  // Homebrew's folders first, as its own services have them; limactl's, when it is not Homebrew's; Node's last.
  const dirs = [
    ...(brewPrefix ? [path.join(brewPrefix, 'bin'), path.join(brewPrefix, 'sbin')] : []),
    ...(limactl ? [path.dirname(limactl.path)] : []),
    ...SYSTEM_PATH,
    path.dirname(program.node),
  ];
  const env: PlistObject = { PATH: [...new Set(dirs)].join(':') };
  for (const name of PASSED_ON) {
    const value = t.host.env[name];
    if (value) env[name] = value;
  }
  const config = t.config.file ? ['--config', t.config.file] : [];
  const plist: PlistObject = {
    Label: place.label,
    ProgramArguments: [program.node, program.script, ...config, ...agent.args],
    StartCalendarInterval: agent.schedule.map((time) =>
      Object.fromEntries(
        Object.entries(time).map(([key, value]) => [CALENDAR_KEYS[key as keyof AscCalendarInterval], value]),
      ),
    ),
    WorkingDirectory: t.config.dir,
    EnvironmentVariables: env,
    StandardOutPath: place.log,
    StandardErrorPath: place.log,
    ProcessType: 'Background',
  };
  return { ...place, agent, plist, text: await agentText(plist) };
}
