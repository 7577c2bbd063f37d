/**
 * `plugins.wezterm.mux: true`: WezTerm sessions that live in the VM. The guest runs wezterm-mux-server of
 * the Mac's WezTerm version as a systemd user unit, with lingering on so it runs without a login; the
 * Mac's WezTerm reaches it through a unix domain whose proxy_command is `ssh lima-<instance> wezterm cli
 * proxy` (decision 39), so there is no socket forward to keep alive.
 */
import path from 'node:path';
import { AscError, type AscTask, type AscTaskContext, drift, ok } from '../../src/index.ts';
import { hostAlias, markStale } from '../lima/api.ts';
import {
  FACT_MUX,
  installScript,
  type MuxProbe,
  macWeztermVersion,
  muxProbe,
  nixosHint,
  UNIT,
  UNIT_FILE,
  unitHash,
  unitText,
  WRITE_UNIT,
} from './mux-guest.ts';

const ANY_EXIT = Array.from({ length: 256 }, (_, code) => code);
/** Where the deb puts the server; the unit names the path the guest's PATH finds, once installed. */
const DEB_SERVER = '/usr/bin/wezterm-mux-server';

/** asc's records (on the Mac): what it installed, and whether lingering was its doing. */
export const STATE_PACKAGE = 'mux-package';
export const STATE_UNIT = 'mux-unit';
export const STATE_LINGER = 'mux-linger';

/**
 * The command the Mac's WezTerm runs to reach the mux server: its own ssh connection each time
 * (ControlPath=none: never Lima's master, which a sleep leaves dead), `-T` for a clean byte pipe, and
 * `--no-auto-start` so that only the unit ever starts a server.
 */
export function muxSsh(home: string, instance: string, command: readonly string[]): string[] {
  return [
    'ssh',
    '-F',
    path.join(home, '.ssh', 'config'),
    '-o',
    'ControlMaster=no',
    '-o',
    'ControlPath=none',
    '-T',
    hostAlias(instance),
    'wezterm',
    'cli',
    '--no-auto-start',
    ...command,
  ];
}

export const proxyCommand = (home: string, instance: string) => muxSsh(home, instance, ['proxy']);

/** What the guest's package has: the deb's version, or on NixOS the server's own `--version`. */
const guestVersion = (probe: MuxProbe) => (probe.os === 'nixos' ? probe.serverVersion : probe.pkg);

export function muxTasks(): AscTask[] {
  return [
    {
      id: 'mux-package',
      title: "wezterm-mux-server in the VM is the Mac's WezTerm version",
      phase: 'phase2',
      needs: ['lima.running'],
      async check(t) {
        const want = await macWeztermVersion(t);
        const probe = await muxProbe(t);
        const have = guestVersion(probe);
        if (have === want) return ok(`wezterm ${want}, as on the Mac`);
        if (probe.os === 'nixos') {
          return drift(
            `wezterm-mux-server in the VM is ${have || 'missing'}, the Mac has ${want}: ${nixosHint(probe.user)}`,
          );
        }
        if (!have) {
          return drift(
            `no wezterm package in the VM: wezterm ${want} would be installed from WezTerm's APT repository`,
          );
        }
        const way = have < want ? 'upgraded' : 'changed';
        return drift(
          `wezterm ${have} in the VM, ${want} on the Mac: it would be ${way} to ${want}, and the mux server restarted (the sessions in it end)`,
        );
      },
      async apply(t) {
        const want = await macWeztermVersion(t);
        const probe = await muxProbe(t);
        if (probe.os === 'nixos') {
          throw new AscError(`wezterm ${want} is not in the VM, and asc does not install packages on NixOS`, {
            code: 'E_REFUSED',
            hint: nixosHint(probe.user),
          });
        }
        try {
          await t.guest.run(['sudo', '-n', 'sh', '-c', installScript(want)], { timeoutMs: 15 * 60_000 });
        } catch (error) {
          if (error instanceof AscError && /Version '.*' for 'wezterm' was not found/.test(error.message)) {
            throw new AscError(`WezTerm's APT repository has no wezterm ${want}, the Mac's version`, {
              code: 'E_COMMAND_FAILED',
              hint: `a nightly WezTerm on the Mac has no stable package: use a release on the Mac, or install its .deb in the VM by hand (github.com/wez/wezterm/releases: wezterm-${want}.Ubuntu22.04.arm64.deb on Apple Silicon)`,
            });
          }
          throw error;
        }
        await t.state.set(STATE_PACKAGE, { version: want });
        // The running server is still the old binary: a restart makes it the new one.
        if (probe.active === 'active') {
          await t.guest.run(['systemctl', '--user', 'restart', UNIT], { timeoutMs: 60_000 });
        }
        await markStale(t, FACT_MUX);
      },
    },
    {
      id: 'mux-linger',
      title: 'lingering is on for the guest user: the mux server runs without a login',
      phase: 'phase2',
      needs: ['lima.running'],
      async check(t) {
        const probe = await muxProbe(t);
        if (probe.linger === 'yes') return ok(`Linger=yes for ${probe.user}`);
        const why = `lingering is off for ${probe.user}: without it the user's systemd, and the mux server, stop at the last logout`;
        return drift(probe.os === 'nixos' ? `${why}; ${nixosHint(probe.user)}` : why);
      },
      async apply(t) {
        const probe = await muxProbe(t);
        if (probe.os === 'nixos') {
          throw new AscError(`lingering is off for ${probe.user}`, {
            code: 'E_REFUSED',
            hint: nixosHint(probe.user),
          });
        }
        // polkit lets a user set their own lingering only from an active local session: sudo, as Lima's user has it.
        await t.guest.run(['sudo', '-n', 'loginctl', 'enable-linger', probe.user], { timeoutMs: 60_000 });
        await t.state.set(STATE_LINGER, { user: probe.user });
        await markStale(t, FACT_MUX);
      },
    },
    {
      id: 'mux-unit',
      title: `the systemd user unit ${UNIT} runs wezterm-mux-server`,
      phase: 'phase2',
      needs: ['wezterm.mux-package'],
      async check(t) {
        const problems = unitProblems(await muxProbe(t));
        return problems.length === 0 ? ok(`${UNIT} enabled and active`) : drift(problems.join('; '));
      },
      async apply(t) {
        const probe = await muxProbe(t);
        if (probe.os === 'nixos') {
          throw new AscError(`${UNIT} is not running in the VM`, {
            code: 'E_REFUSED',
            hint: nixosHint(probe.user),
          });
        }
        const text = unitText(probe.server || DEB_SERVER);
        const changed = probe.unit !== unitHash(text);
        if (changed) await t.guest.run(['sh', '-c', WRITE_UNIT], { input: text, timeoutMs: 60_000 });
        const systemctl = (...args: string[]) =>
          t.guest.run(['systemctl', '--user', ...args], { timeoutMs: 60_000 });
        await t.state.set(STATE_UNIT, { unit: UNIT });
        await systemctl('daemon-reload');
        if (probe.enabled !== 'enabled') await systemctl('enable', UNIT);
        if (probe.active === 'failed') await systemctl('reset-failed', UNIT);
        await systemctl(probe.active === 'active' && changed ? 'restart' : 'start', UNIT);
        await markStale(t, FACT_MUX);
      },
    },
    {
      id: 'mux-attach',
      title: 'the Mac reaches the mux server: ssh … wezterm cli list',
      phase: 'phase2',
      needs: ['wezterm.mux-unit', 'wezterm.mux-linger', 'lima.ssh-include'],
      async check(t) {
        const found = await attach(t);
        return found.ok ? ok(found.message) : drift(found.message);
      },
      async apply(t) {
        const found = await attach(t);
        if (!found.ok) throw new AscError(found.message, { code: 'E_COMMAND_FAILED', hint: found.hint });
      },
    },
  ];
}

/** What keeps the unit from running the right server: shared by the task and the doctor row. */
export function unitProblems(probe: MuxProbe): string[] {
  const text = unitText(probe.server || DEB_SERVER);
  const problems: string[] = [];
  if (probe.unit === 'none') problems.push(`~/${UNIT_FILE} is missing`);
  else if (probe.unit !== unitHash(text)) problems.push(`~/${UNIT_FILE} is not asc's current unit`);
  if (probe.enabled !== 'enabled') problems.push(`${UNIT} is ${probe.enabled || 'not enabled'}`);
  if (probe.active !== 'active') problems.push(`${UNIT} is ${probe.active || 'inactive'}`);
  return problems;
}

/**
 * The Mac's way in, end to end: the proxy's own ssh command with `list` for `proxy`. `wezterm cli` makes
 * the mux protocol's first exchange (the codec version) with the server before it lists the panes.
 */
export async function attach(t: AscTaskContext): Promise<{ ok: boolean; message: string; hint?: string }> {
  const [file = 'ssh', ...args] = muxSsh(t.host.home, t.config.instance, ['list']);
  args.splice(args.indexOf('-T'), 0, '-o', 'ConnectTimeout=15');
  const result = await t.exec.query(file, args, { timeoutMs: 60_000, okCodes: ANY_EXIT });
  if (result.exitCode === 0) {
    const panes = result.stdout.trim().split('\n').length - 1;
    return {
      ok: true,
      message: `the mux server answers over ssh ${hostAlias(t.config.instance)} (${panes} pane(s))`,
    };
  }
  const said = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1) ?? '';
  return {
    ok: false,
    message: `\`wezterm cli list\` over ssh ${hostAlias(t.config.instance)} failed (exit ${result.exitCode}): ${said}`,
    hint: `check the server in the VM: \`lima systemctl --user status ${UNIT}\`; \`asc run wezterm.mux-unit\` restarts it`,
  };
}
