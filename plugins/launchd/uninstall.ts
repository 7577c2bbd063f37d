import semver from 'semver';
import { type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { limaVersion } from '../lima/api.ts';
import { agentPaths, readAgent, stableLimactl } from './agent.ts';
import { bootout, forgetPrints, printJob, probeSession } from './launchctl.ts';
import { display, ownership, recordKeys, removeWithBackup } from './registrations.ts';
import { limaAutostartArgs, START_AT_LOGIN_SINCE } from './situation.ts';

/**
 * `asc uninstall`: undo the registration asc made, and only that. Each check answers "already undone?".
 * The VM keeps running: a job that runs now (the VM's host agent) is not unloaded, and ends at logout.
 */
export function launchdUninstall(instance: string): AscTask[] {
  const { ours, lima } = agentPaths('~', instance);
  return [
    {
      id: 'agent',
      title: `asc's LaunchAgent ${ours.label} is removed`,
      async check(t) {
        const { file, label } = agentPaths(t.host.home, instance).ours;
        const agent = await readAgent(t, file);
        if (!agent.exists) return ok(`${display(t, file)} does not exist`);
        const owner = await ownership(t, instance, label, agent);
        if (owner !== 'asc') return ok(`${display(t, file)} was not written by asc: left alone`);
        return drift(`${display(t, file)} was written by asc: it would be unloaded, backed up and removed`);
      },
      async apply(t) {
        const { file, label } = agentPaths(t.host.home, instance).ours;
        const probe = await probeSession(t);
        if (probe.kind === 'ok') {
          const job = await printJob(t, probe, label);
          if (job.loaded && job.state === 'running') {
            t.log.warn(`${label} runs the VM now (pid ${job.pid ?? '?'}): it stays loaded until you log out`);
          } else if (job.loaded) {
            await bootout(t, probe, label);
          }
        }
        const backup = await removeWithBackup(t, file);
        t.log.info(`removed ${display(t, file)}; its backup is ${backup}`);
        await t.state.delete(recordKeys.plist(instance));
        await t.state.delete(recordKeys.loaded(instance));
      },
    },
    {
      id: 'lima-autostart',
      title: `Lima's autostart ${lima.label} is off, if asc turned it on`,
      async check(t) {
        const { file } = agentPaths(t.host.home, instance).lima;
        const record = await t.state.get(recordKeys.limaAutostart(instance));
        const agent = await readAgent(t, file);
        if (!agent.exists) return ok(`${display(t, file)} does not exist`);
        if (record === undefined) return ok(`${display(t, file)} was registered by you, not asc: left alone`);
        const args = limaAutostartArgs(await limaVersion(t), instance, false);
        return drift(`asc registered Lima's autostart: \`limactl ${args.join(' ')}\` would unregister it`);
      },
      async apply(t) {
        const { file } = agentPaths(t.host.home, instance).lima;
        const version = await limaVersion(t);
        if (semver.gte(version, START_AT_LOGIN_SINCE)) {
          const limactl = await stableLimactl(t);
          // limactl removes its file itself: keep a copy, as for every file asc changes.
          const backup = await t.files.backup(file);
          if (backup) t.log.info(`${display(t, file)} is removed by limactl; its backup is ${backup}`);
          await t.exec
            .run(limactl.path, limaAutostartArgs(version, instance, false), { timeoutMs: 60_000 })
            .finally(() => forgetPrints(t));
        } else {
          // A limactl that was downgraded below 0.21 cannot unregister: remove Lima's file the same way.
          t.log.info(`removed ${display(t, file)}; its backup is ${await removeWithBackup(t, file)}`);
        }
        await t.state.delete(recordKeys.limaAutostart(instance));
      },
    },
    {
      id: 'replaced',
      title: 'registrations asc removed or replaced are back (not loaded)',
      // After asc's own plist is gone: the hand-made legacy plist has the same path (io.lima.<instance>).
      needs: ['launchd.agent'],
      async check(t) {
        const missing = await toRestore(t);
        if (missing.length === 0) return ok();
        return drift(
          `would put back ${missing.map(({ file }) => display(t, file)).join(', ')} as it was before asc (not loaded: launchd reads it at the next login)`,
        );
      },
      async apply(t) {
        const missing = await toRestore(t);
        for (const { file, text } of missing) await t.files.write(file, text, { mode: 0o644 });
        await t.state.delete(recordKeys.replaced);
        return `put back ${missing.map(({ file }) => display(t, file)).join(', ')}`;
      },
    },
  ];
}

/** Each registration asc took away, whose file is not as it was (and whose backup is still there). */
async function toRestore(t: AscTaskContext): Promise<{ file: string; text: string }[]> {
  const replaced = (await t.state.get<Record<string, string>>(recordKeys.replaced)) ?? {};
  const out: { file: string; text: string }[] = [];
  for (const [file, backup] of Object.entries(replaced)) {
    const text = await t.files.read(backup);
    if (text !== undefined && (await t.files.read(file)) !== text) out.push({ file, text });
  }
  return out;
}
