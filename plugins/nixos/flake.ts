import path from 'node:path';
import { AscError, type AscPluginContext, type AscTaskContext, lastLine } from '../../src/index.ts';
import type { NixosOptions } from './options.ts';

/** What the flake's `nixosConfigurations.<host>` sets, as `nix eval` reads it. */
export interface FlakeSystem {
  /** The store path of its toplevel: what /run/current-system is once it runs. */
  toplevel: string;
  hostName: string;
  /** services.lima.enable (false when the nixos-lima module is not imported at all). */
  lima: boolean;
  mutableUsers: boolean;
}

/** One evaluation of the parts asc checks; `or false` because without nixos-lima's module the option is missing. */
const SELECT =
  'c: { toplevel = c.system.build.toplevel.outPath; hostName = c.networking.hostName; lima = c.services.lima.enable or false; mutableUsers = c.users.mutableUsers; }';

/**
 * The flake folder as the guest sees it: `flake`, or the config file's folder through the lima mount
 * that shares it (Lima mounts a folder at its own path unless `mountPoint` says otherwise).
 */
export function flakeFolder(
  options: NixosOptions,
  ctx: Pick<AscPluginContext, 'config' | 'home' | 'vm'>,
): string {
  if (options.flake) return options.flake;
  const dir = ctx.config.dir;
  const expand = (p: string) => path.resolve(p.replace(/^~(?=\/|$)/, ctx.home));
  for (const mount of ctx.vm.mounts) {
    const location = expand(mount.location);
    if (dir === location || dir.startsWith(`${location}/`)) {
      const guest = mount.mountPoint ?? location;
      return path.posix.join(guest, path.relative(location, dir));
    }
  }
  throw new AscError(`the flake folder ${dir} (the config file's) is not shared with the VM`, {
    code: 'E_CONFIG_INVALID',
    hint: `add it to plugins.lima.mounts, or set plugins.nixos.flake to the flake's path inside the VM`,
  });
}

/** `nix eval` of the flake's configuration for `host`, in the guest (flakes are on in nixos-lima's image). */
export async function evalFlake(t: AscTaskContext, flake: string, host: string): Promise<FlakeSystem> {
  const ref = `${flake}#nixosConfigurations.${host}.config`;
  let stdout: string;
  try {
    ({ stdout } = await t.guest.query(['nix', 'eval', '--json', ref, '--apply', SELECT], {
      timeoutMs: 10 * 60_000,
    }));
  } catch (error) {
    throw new AscError(
      `could not evaluate ${flake}#${host} in the VM: ${lastLine((error as Error).message)}`,
      {
        code: 'E_COMMAND_FAILED',
        hint: `the flake needs nixosConfigurations.${host}; try \`limactl shell ${t.config.instance} -- nix eval ${ref}.networking.hostName\``,
        cause: error,
      },
    );
  }
  try {
    const value = JSON.parse(stdout) as Partial<FlakeSystem>;
    if (typeof value.toplevel === 'string') {
      return {
        toplevel: value.toplevel,
        hostName: String(value.hostName ?? ''),
        lima: value.lima === true,
        mutableUsers: value.mutableUsers !== false,
      };
    }
  } catch {}
  throw new AscError(`\`nix eval\` of ${flake}#${host} printed no configuration: ${stdout.slice(0, 120)}`, {
    code: 'E_COMMAND_FAILED',
  });
}

/**
 * What the flake must set, or booting it locks you out of the VM: lima-init makes the user and its ssh
 * key (nixos-lima's module), and it does so imperatively, which immutable users undo (nixos-lima PR #94).
 */
export function flakeProblems(system: FlakeSystem): string[] {
  const problems: string[] = [];
  if (!system.lima) problems.push('services.lima.enable = true; (import nixos-lima.nixosModules.lima)');
  if (!system.mutableUsers) problems.push('users.mutableUsers = true;');
  return problems;
}

/**
 * What to do when the hostname is not `host`. On NixOS the hostname is the configuration's
 * `networking.hostName`: nixpkgs patches systemd-hostnamed to refuse static and pretty hostname changes
 * (org.freedesktop.DBus.Error.NotSupported, "Changing system settings via systemd is not supported on
 * NixOS."), and the activation writes /etc/hostname from the option.
 */
export function hostNameFix(host: string): string {
  return `on NixOS the hostname comes from the flake, not from hostnamectl: set networking.hostName = "${host}"; in nixosConfigurations.${host}, then \`asc run nixos.rebuild\``;
}
