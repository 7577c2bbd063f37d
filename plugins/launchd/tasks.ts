import { AscError, type AscNotApplicable, type AscTask, drift, ok, skip } from '../../src/index.ts';
import { agentPaths } from './agent.ts';
import { disabledLabels, loadAgent, NotApplicable } from './launchctl.ts';
import { applyLima, limaPlan } from './lima-mode.ts';
import type { LaunchdOptions } from './options.ts';
import { applyPlist, loadState, plistPlan } from './plist-mode.ts';
import { display, recordKeys } from './registrations.ts';
import { situation } from './situation.ts';

/** Off a Mac or without a GUI login, a check says the task does not apply: skipped with the reason, not failed. */
export async function applicable<T>(_t: unknown, get: () => Promise<T>): Promise<T | AscNotApplicable> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof NotApplicable)
      return skip(error.hint ? `${error.message} (${error.hint})` : error.message);
    throw error;
  }
}

/** The plugin's tasks: `registered` in every mode, `loaded` unless the mode is `lima`. */
export function launchdTasks(options: LaunchdOptions, instance: string): AscTask[] {
  const { ours } = agentPaths('~', instance);
  const registered: AscTask = {
    id: 'registered',
    title: `VM ${instance} starts at login (one registration)`,
    phase: 'phase3',
    needs: ['lima.instance'],
    async check(t) {
      const s = await applicable(t, () => situation(t, options, instance));
      if ('notApplicable' in s) return s;
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
      const s = await applicable(t, () => situation(t, options, instance));
      if ('notApplicable' in s) return s;
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
