import path from 'node:path';
import semver from 'semver';
import { AscError, type AscTaskContext } from '../../src/index.ts';
import { type AgentFile, isCellarPath, isExecutable, programArguments, readAgent } from './agent.ts';
import { disabledLabels, forgetPrints } from './launchctl.ts';
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
  removalPlan,
  removeRegistration,
} from './registrations.ts';
import { limaAutostartArgs, type Situation, START_AT_LOGIN_SINCE } from './situation.ts';

/** lima mode: Lima's own plist, written by limactl and enabled, and no plist of asc's label beside it. */
export async function limaPlan(
  t: AscTaskContext,
  s: Situation,
  instance: string,
): Promise<Plan & { ours: Registration; owner: Ownership; lima: AgentFile; reregister: boolean }> {
  const [ours, lima] = await Promise.all([
    readRegistration(t, s.session, s.paths.ours),
    readAgent(t, s.paths.lima.file),
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
  } else if (!path.isAbsolute(program) || !(await isExecutable(t, program))) {
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

export async function applyLima(t: AscTaskContext, s: Situation, instance: string) {
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
    t.log.info(`${display(t, file)} is rewritten by limactl; its backup is ${await t.files.backup(file)}`);
  }
  const args = limaAutostartArgs(s.version, instance, true);
  // Run through the stable path: Lima writes the limactl it was started as (os.Executable) into the plist.
  const result = await t.exec.run(s.limactl.path, args, { timeoutMs: 60_000 }).finally(() => forgetPrints(t));
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
