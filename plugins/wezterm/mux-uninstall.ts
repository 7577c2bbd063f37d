import { AscError, type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { limaState, markStale } from '../lima/api.ts';
import { STATE_LINGER, STATE_PACKAGE, STATE_UNIT } from './mux.ts';
import { FACT_MUX, muxProbe, UNIT, UNIT_FILE } from './mux-guest.ts';

/**
 * `asc uninstall` of the mux mode, from asc's records (so a config that has turned `mux` off since is
 * undone too): the unit stopped, disabled and removed; lingering turned off only when asc turned it on;
 * the wezterm package kept, and said so.
 */
export function muxUninstall(): AscTask[] {
  return [
    {
      id: 'mux-unit',
      title: `the systemd user unit ${UNIT} is gone from the VM`,
      async check(t) {
        if (!(await t.state.get(STATE_UNIT))) return ok();
        if (!(await running(t))) return drift(`${UNIT} is in the VM, which is not running`);
        const probe = await muxProbe(t);
        if (probe.unit === 'none' && probe.enabled !== 'enabled' && probe.active !== 'active') {
          return drift(`asc's record of ${UNIT} would be forgotten (the unit is gone)`);
        }
        return drift(`${UNIT} would be stopped, disabled and removed: the sessions in it end`);
      },
      async apply(t) {
        await needsRunning(t, UNIT);
        const probe = await muxProbe(t);
        const systemctl = (...args: string[]) =>
          t.guest.run(['systemctl', '--user', ...args], { timeoutMs: 60_000 });
        if (probe.unit !== 'none' || probe.enabled === 'enabled' || probe.active === 'active') {
          await systemctl('disable', '--now', UNIT);
          await t.guest.run(['sh', '-c', `rm -f "$HOME/${UNIT_FILE}"`], { timeoutMs: 30_000 });
          await systemctl('daemon-reload');
          await markStale(t, FACT_MUX);
        }
        await t.state.delete(STATE_UNIT);
      },
    },
    {
      id: 'mux-linger',
      title: 'lingering is as it was before asc',
      async check(t) {
        const record = await t.state.get<{ user: string }>(STATE_LINGER);
        if (!record) return ok('lingering left as it was');
        return drift(`lingering, which asc turned on for ${record.user}, would be turned off`);
      },
      async apply(t) {
        const record = await t.state.get<{ user: string }>(STATE_LINGER);
        if (!record) return;
        await needsRunning(t, 'lingering');
        await t.guest.run(['sudo', '-n', 'loginctl', 'disable-linger', record.user], { timeoutMs: 60_000 });
        await t.state.delete(STATE_LINGER);
      },
    },
    {
      id: 'mux-package',
      title: 'the wezterm package in the VM is kept',
      async check(t) {
        const record = await t.state.get<{ version: string }>(STATE_PACKAGE);
        if (!record) return ok();
        const kept = `kept: wezterm ${record.version} in the VM (\`lima sudo apt-get remove wezterm\` removes it)`;
        t.log.info(kept);
        return ok(kept);
      },
      async apply() {},
    },
  ];
}

async function running(t: AscTaskContext): Promise<boolean> {
  return (await (await limaState(t)).instance(t, t.config.instance))?.status === 'Running';
}

async function needsRunning(t: AscTaskContext, what: string): Promise<void> {
  if (await running(t)) return;
  throw new AscError(`the VM ${t.config.instance} is not running: asc cannot undo ${what} in it`, {
    code: 'E_REFUSED',
    hint: `start it (\`limactl start ${t.config.instance}\`) and run \`asc uninstall\` again`,
  });
}
