import { hostAlias } from '../lima/limactl.ts';
import { comboId, describeCombo, type KeyCombo, normalizeBinding } from './keys.ts';
import type { LuaData, ModuleBinding, ModuleDomain, ModuleSpec } from './module.ts';
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

/** The SSH domain asc owns: through Lima's `lima-<instance>` alias, without WezTerm's multiplexer. */
export function wantedDomain(options: WeztermOptions, instance: string): ModuleDomain['fields'] {
  return {
    name: options.domain,
    remote_address: hostAlias(instance),
    multiplexing: 'None',
    ...(options.sshOption ? { ssh_option: options.sshOption } : {}),
  };
}

/** What `ascalon.lua` holds for these options: the data the module is rendered from. */
export function moduleSpec(options: WeztermOptions, instance: string): ModuleSpec {
  return {
    domains: [{ list: 'ssh_domains', fields: wantedDomain(options, instance) }],
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
