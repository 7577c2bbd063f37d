import type { AscDoctorCheck, AscTaskContext } from '../../src/index.ts';
import { limaState } from '../lima/api.ts';
import { attach, unitProblems } from './mux.ts';
import { macWeztermVersion, muxProbe, nixosHint, UNIT } from './mux-guest.ts';

/**
 * `asc doctor` rows of the mux mode: the versions on both ends, the unit and lingering in the guest, and
 * the Mac's way in end to end (the proxy's ssh, `wezterm cli list`, which makes the mux protocol's first
 * exchange with the server).
 */
export function muxDoctor(): AscDoctorCheck[] {
  const running = async (t: AscTaskContext) =>
    (await (await limaState(t)).instance(t, t.config.instance))?.status === 'Running';
  const notRunning = (t: AscTaskContext) => ({
    status: 'warn' as const,
    message: `the VM ${t.config.instance} is not running: the mux server cannot be checked`,
    fix: 'asc run lima.running',
  });
  return [
    {
      id: 'mux-version',
      title: "wezterm-mux-server in the VM is the Mac's WezTerm version",
      async run(t) {
        if (!(await running(t))) return notRunning(t);
        const want = await macWeztermVersion(t);
        const probe = await muxProbe(t);
        const have = probe.os === 'nixos' ? probe.serverVersion : probe.pkg;
        if (have === want) return { status: 'ok', message: `wezterm ${want} on both ends` };
        return {
          status: 'fail',
          message: `the Mac has wezterm ${want}, the VM ${have || 'none'}: the mux protocol needs the same version`,
          fix: probe.os === 'nixos' ? nixosHint(probe.user) : 'asc run wezterm.mux-package',
        };
      },
    },
    {
      id: 'mux-server',
      title: `${UNIT} is enabled and active, with lingering on`,
      async run(t) {
        if (!(await running(t))) return notRunning(t);
        const probe = await muxProbe(t);
        const problems = unitProblems(probe);
        if (probe.linger !== 'yes') problems.push(`lingering is off for ${probe.user}`);
        if (problems.length === 0) return { status: 'ok', message: `${UNIT} active; Linger=yes` };
        return {
          status: 'fail',
          message: problems.join('; '),
          fix: probe.os === 'nixos' ? nixosHint(probe.user) : 'asc run wezterm.mux-unit wezterm.mux-linger',
        };
      },
    },
    {
      id: 'mux-attach',
      title: 'the Mac reaches the mux server over ssh',
      async run(t) {
        if (!(await running(t))) return notRunning(t);
        const found = await attach(t);
        return found.ok
          ? { status: 'ok', message: found.message }
          : { status: 'fail', message: found.message, ...(found.hint ? { fix: found.hint } : {}) };
      },
    },
  ];
}
