import {
  type AscAgentSpec,
  type AscDoctorCheck,
  type AscDoctorFinding,
  type AscTaskContext,
  describeSchedule,
} from '../../src/index.ts';
import { isExecutable, programArguments, readAgent } from './agent.ts';
import { agentPlace } from './agents-plist.ts';
import { printJob, probeSession } from './launchctl.ts';
import { display } from './registrations.ts';

const FIX = 'asc run launchd.agents';

/** One `asc doctor` row per agent: registered, its program still there, loaded, and its last run. */
export function agentsDoctor(agents: readonly AscAgentSpec[]): AscDoctorCheck[] {
  return agents.map((agent) => ({
    id: `agents.${agent.plugin}.${agent.id}`,
    title: `agent ${agent.plugin}.${agent.id}: ${agent.title}, ${describeSchedule(agent.schedule)}`,
    run: (t) => examine(t, agent),
  }));
}

async function examine(t: AscTaskContext, agent: AscAgentSpec): Promise<AscDoctorFinding> {
  const probe = await probeSession(t);
  if (probe.kind !== 'ok') return { status: 'warn', message: probe.reason, fix: probe.hint };
  const { label, file, log } = agentPlace(t.host.home, t.config.instance, agent);
  const shown = display(t, file);
  const found = await readAgent(t, file);
  if (!found.exists) return { status: 'fail', message: `${shown} is not there: nothing runs it`, fix: FIX };
  const [node, script] = programArguments(found.plist);
  if (!node || !(await isExecutable(t, node))) {
    return {
      status: 'fail',
      message: `${shown} runs ${node ?? 'nothing'}, which is missing or cannot run (Node was upgraded or moved?)`,
      fix: FIX,
    };
  }
  if (!script || (await t.files.stat(script)) === undefined) {
    return {
      status: 'fail',
      message: `${shown} runs asc from ${script ?? 'nowhere'}, which is gone`,
      fix: FIX,
    };
  }
  const args = programArguments(found.plist);
  const config = args[args.indexOf('--config') + 1];
  if (
    args.includes('--config') &&
    config &&
    (await t.files.read(config).catch(() => undefined)) === undefined
  ) {
    return {
      status: 'fail',
      message: `${shown} reads the config ${config}, which is gone`,
      fix: `${FIX}, with the config you use now`,
    };
  }
  const job = await printJob(t, probe, label);
  if (!job.loaded)
    return { status: 'warn', message: `${label} is not loaded: launchd will not run it`, fix: FIX };
  if (job.lastExitCode === 78) {
    return {
      status: 'fail',
      message: `launchd could not start ${node} (last exit code ${job.lastExit})`,
      fix: FIX,
    };
  }
  if (job.lastExitCode !== null && job.lastExitCode !== 0) {
    return {
      status: 'warn',
      message: `${label}'s last run exited ${job.lastExit}`,
      fix: `read ${display(t, log)}`,
    };
  }
  const moving = movingPath(t, node, script);
  if (moving) return { status: 'warn', message: `${shown} runs ${moving}`, fix: `after that, ${FIX}` };
  const last = job.lastExitCode === null ? 'not run yet' : 'its last run succeeded';
  return { status: 'ok', message: `${label} is loaded, ${describeSchedule(agent.schedule)}; ${last}` };
}

/** A path that a routine command removes: nvm's versioned Node, or asc from npx's cache. */
function movingPath(t: AscTaskContext, node: string, script: string): string | undefined {
  if (node.startsWith(`${t.host.home}/.nvm/versions/`))
    return `nvm's versioned ${node}: \`nvm uninstall\` of that version stops it`;
  if (script.includes('/_npx/'))
    return `asc from npx's cache (${script}), which npm may clear: install it (\`npm i -g ascalon\`)`;
  return undefined;
}
