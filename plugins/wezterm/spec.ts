import { hostAlias } from '../lima/api.ts';
import { comboId, describeCombo, type KeyCombo, normalizeBinding } from './keys.ts';
import type { LuaData, ModuleBinding, ModuleDomain, ModuleSpec } from './module.ts';
import { proxyCommand } from './mux.ts';
import { DEFAULT_KEYS, type KeyOption, type WeztermOptions } from './options.ts';

/** What one wanted binding does. */
export type WantedAction = { name: 'ShowLauncherArgs'; flags: string } | { name: 'SpawnTab'; domain: string };

export interface WantedBinding {
  key: string;
  mods: string;
  combo: KeyCombo;
  /** `CMD+SHIFT+T`. */
  label: string;
  action: WantedAction;
}

/**
 * The bindings asc keeps: the defaults, changed by the `keys` option. An entry for the same keys (after
 * WezTerm's normalisation) replaces the default; `action: false` drops it; other entries are added.
 */
export function wantedBindings(options: WeztermOptions): WantedBinding[] {
  if (options.keys === false) return [];
  const merged = new Map<string, KeyOption>();
  for (const binding of [...DEFAULT_KEYS, ...options.keys]) {
    merged.set(comboId(normalizeBinding(binding.key, binding.mods)), binding);
  }
  const wanted: WantedBinding[] = [];
  for (const binding of merged.values()) {
    if (binding.action === false) continue;
    wanted.push({
      key: binding.key,
      mods: binding.mods,
      combo: normalizeBinding(binding.key, binding.mods),
      label: describeCombo(binding.key, binding.mods),
      action:
        binding.action === 'SpawnTab'
          ? { name: 'SpawnTab', domain: options.domain }
          : { name: 'ShowLauncherArgs', flags: binding.flags ?? 'FUZZY|DOMAINS' },
    });
  }
  return wanted;
}

/**
 * The name of the SSH domain: `domain` itself, or with `mux: true` `<domain>-ssh`, since `domain` then
 * names the unix domain of the VM's multiplexer, which the keys open tabs in (decision 40).
 */
export function sshDomainName(options: WeztermOptions): string {
  return options.mux ? `${options.domain}-ssh` : options.domain;
}

/** The SSH domain asc owns: through Lima's `lima-<instance>` alias, without WezTerm's multiplexer. */
export function wantedDomain(options: WeztermOptions, instance: string): ModuleDomain['fields'] {
  return {
    name: sshDomainName(options),
    remote_address: hostAlias(instance),
    multiplexing: 'None',
    ...(options.sshOption ? { ssh_option: options.sshOption } : {}),
  };
}

/**
 * With `mux: true`, the unix domain named `domain`: the Mac's WezTerm reaches the VM's mux server through
 * its proxy command (decision 39), and never starts a server of its own on the Mac.
 */
export function wantedUnixDomain(options: WeztermOptions, instance: string, home: string) {
  return {
    name: options.domain,
    proxy_command: proxyCommand(home, instance),
    no_serve_automatically: true,
  } as const;
}

/** What `ascalon.lua` holds for these options: the data the module is rendered from. */
/** `home`: the Mac's home folder, which the mux's proxy command names (`ssh -F <home>/.ssh/config`). */
export function moduleSpec(options: WeztermOptions, instance: string, home?: string): ModuleSpec {
  if (options.mux && home === undefined) throw new Error('moduleSpec: the mux domain needs the home folder');
  const unix: ModuleDomain[] = options.mux
    ? [{ list: 'unix_domains', fields: wantedUnixDomain(options, instance, home ?? '') }]
    : [];
  return {
    domains: [...unix, { list: 'ssh_domains', fields: wantedDomain(options, instance) }],
    bindings: wantedBindings(options).map((binding): ModuleBinding => {
      const arg: Record<string, LuaData> =
        binding.action.name === 'SpawnTab'
          ? { DomainName: binding.action.domain }
          : { flags: binding.action.flags };
      return { key: binding.key, mods: binding.mods, action: binding.action.name, arg };
    }),
  };
}

/** `SpawnTab { DomainName = "ascalon" }`, for messages. */
export function describeAction(action: WantedAction): string {
  return action.name === 'SpawnTab'
    ? `SpawnTab { DomainName = "${action.domain}" }`
    : `ShowLauncherArgs { flags = "${action.flags}" }`;
}
