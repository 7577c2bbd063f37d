import type { AscPluginContext } from '../../src/index.ts';
import { AscError, type AscTask, type AscTaskContext, drift, ok, parseDuration } from '../../src/index.ts';
import { limaState, startVm, stopVm } from '../lima/api.ts';
import { evalFlake, flakeFolder, flakeProblems } from './flake.ts';
import type { NixosOptions } from './options.ts';

/** The services nixos-lima's module runs: the user and mounts at boot, and the guest agent (ports, sockets). */
export const LIMA_UNITS = ['lima-init', 'lima-guestagent'] as const;

const NEEDS_GUEST = ['lima.running', 'nixos.migrated'];

/** Unit → state, from `systemctl is-active` (one line per unit, in order). */
export function unitStates(output: string | undefined): Record<string, string> {
  const lines = (output ?? '').split('\n').map((line) => line.trim());
  return Object.fromEntries(LIMA_UNITS.map((unit, i) => [unit, lines[i] || 'unknown']));
}

/** `nixos.hostname`, `nixos.rebuild` and `nixos.services`. */
export function systemTasks(options: NixosOptions, ctx: AscPluginContext): AscTask[] {
  const { host } = options;
  const instance = ctx.config.instance;
  const timeout = { text: options.startTimeout, ms: parseDuration(options.startTimeout) };
  const activatedKey = `activated:${instance}`;

  return [
    {
      id: 'hostname',
      title: `hostname is ${host}`,
      phase: 'phase6',
      needs: NEEDS_GUEST,
      async check(t) {
        const name = (await t.guest.facts())['nixos.hostname'];
        return name === host ? ok() : drift(`hostname is ${name || 'unknown'}, want ${host}`);
      },
      async apply(t) {
        // Until the flake's rebuild sets networking.hostName, hostnamectl's /etc/hostname holds it.
        await t.guest.run(['sudo', 'hostnamectl', 'set-hostname', host]);
        t.guest.refresh();
        return `set the hostname to ${host} with hostnamectl`;
      },
    },
    {
      id: 'rebuild',
      title: `the VM runs the flake's ${host}`,
      phase: 'phase6',
      // After the hostname: the rebuild restarts the VM, which must not happen under another task.
      needs: [...NEEDS_GUEST, 'nixos.hostname'],
      async check(t) {
        const flake = flakeFolder(options, ctx);
        const current = (await t.guest.facts())['nixos.current-system'];
        const system = await evalFlake(t, flake, host);
        if (current === system.toplevel) return ok(`running ${system.toplevel}`);
        const problems = flakeProblems(system, host);
        const reason = `the VM runs ${current || 'an unknown system'}; ${flake}#${host} builds ${system.toplevel}`;
        return drift(problems.length ? `${reason}, but the flake lacks ${problems.join(' ')}` : reason);
      },
      async apply(t) {
        const flake = flakeFolder(options, ctx);
        const system = await evalFlake(t, flake, host);
        const problems = flakeProblems(system, host);
        if (problems.length > 0) {
          throw new AscError(
            `will not rebuild from ${flake}#${host}: booting it would lock you out of the VM or rename it; the flake lacks ${problems.join(' ')}`,
            {
              code: 'E_REFUSED',
              hint: `set in nixosConfigurations.${host}:\n    ${problems.map((p) => p.replace(/ \(.*\)$/, '')).join('\n    ')}\n  (see docs/plugins/nixos.md, "What the flake needs"); nothing was changed`,
            },
          );
        }
        const ref = `${flake}#${host}`;
        const current = (await t.guest.facts())['nixos.current-system'] ?? '';
        const activated = (await t.state.get<string[]>(activatedKey)) ?? [];
        // --sudo: evaluate and build as the user (root cannot read a user's git checkout: "not owned by
        // current user"), then activate as root, as nixos-lima's README runs it.
        if (activated.includes(current)) {
          // Already running a system of this flake: switch works in place (no restart).
          await t.guest.run(['nixos-rebuild', 'switch', '--flake', ref, '--sudo'], {
            timeoutMs: 2 * 60 * 60_000,
          });
          t.guest.refresh();
          await remember(t, activated, system.toplevel);
          return `switched to ${system.toplevel}`;
        }
        const question = `Build ${ref} in ${instance} and restart it into the new system (nixos-rebuild boot, then a restart)?`;
        if (!(await t.confirm(question))) {
          throw new AscError(
            `booting ${ref} needs a restart of ${instance}: not without --yes or a yes at the terminal`,
            {
              code: 'E_REFUSED',
              hint: `run \`asc run ${t.id} --yes\` to build it (nixos-rebuild boot) and restart the VM into it; nothing was changed`,
            },
          );
        }
        t.log.info(`building ${ref} (nixos-rebuild boot)`);
        await t.guest.run(['nixos-rebuild', 'boot', '--flake', ref, '--sudo'], {
          timeoutMs: 2 * 60 * 60_000,
        });
        await remember(t, activated, system.toplevel);
        const found = await (await limaState(t)).instance(t, instance);
        t.log.info(`restarting ${instance} into it`);
        await stopVm(t, instance);
        await startVm(t, instance, found?.dir ?? '', timeout);
        return `built ${ref} and restarted ${instance} into ${system.toplevel}`;
      },
    },
    {
      id: 'services',
      title: 'lima-init and lima-guestagent are active',
      phase: 'phase6',
      needs: [...NEEDS_GUEST, 'nixos.rebuild'],
      async check(t) {
        const states = unitStates((await t.guest.facts())['nixos.services']);
        const down = Object.entries(states).filter(([, state]) => state !== 'active');
        if (down.length === 0) return ok();
        return drift(down.map(([unit, state]) => `${unit} is ${state}`).join(', '));
      },
      async apply(t) {
        const states = unitStates((await t.guest.facts())['nixos.services']);
        const down = Object.keys(states).filter((unit) => states[unit] !== 'active');
        try {
          await t.guest.run(['sudo', 'systemctl', 'restart', ...down]);
        } finally {
          t.guest.refresh();
        }
        return `restarted ${down.join(' and ')}`;
      },
    },
  ];
}

async function remember(t: AscTaskContext, activated: string[], toplevel: string): Promise<void> {
  await t.state.set(
    `activated:${t.config.instance}`,
    [...activated.filter((p) => p !== toplevel), toplevel].slice(-10),
  );
}
