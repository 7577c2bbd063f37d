/**
 * What the real WezTerm loaded, read from `wezterm show-keys --lua` (wezterm-gui/src/inputmap.rs
 * `dump_config`): one line per binding, `{ key = 'T', mods = 'SUPER', action = act.SpawnTab{ DomainName =  'ascalon' } },`,
 * keys and mods as WezTerm normalised them (mods in Modifiers' Debug order, SHIFT folded into a letter).
 * WezTerm has no command that lists domains, so asc adds a key table of its own for the run with
 * `--config key_tables=…` (applied to the final config table, config/src/config.rs
 * `apply_overrides_to`): one `EmitEvent` binding per domain, its list, name, address and multiplexing
 * joined by tabs.
 */
import { normalizeBinding } from './keys.ts';
import { DOMAIN_LISTS } from './module.ts';
import { LAUNCHER_FLAGS } from './options.ts';
import type { WantedAction, WantedBinding } from './spec.ts';

export const PROBE_TABLE = 'asc_domains';

/** The `--config` override: the config's own key tables, and one more that names every domain. */
export const DOMAIN_PROBE = `key_tables=(function(tables) tables = tables or {}; local probe = {}; for _, list in ipairs({ ${DOMAIN_LISTS.map((list) => `'${list}'`).join(', ')} }) do for _, d in ipairs(config[list] or {}) do probe[#probe + 1] = { key = 'raw:' .. (#probe + 1), mods = 'NONE', action = wezterm.action.EmitEvent(list .. '\\t' .. tostring(d.name) .. '\\t' .. tostring(d.remote_address) .. '\\t' .. tostring(d.multiplexing)) } end end; tables.${PROBE_TABLE} = probe; return tables end)(config.key_tables)`;

export interface LoadedDomain {
  list: string;
  name: string;
  remote_address: string;
  multiplexing: string;
}

export interface LoadedConfig {
  /** `mapped:T+SUPER` → the action's Lua text, as WezTerm prints it. */
  keys: Map<string, string>;
  domains: LoadedDomain[];
}

/** Read a quoted string as `quote_lua_string` writes it. */
function unquote(body: string): string {
  return body.replace(/\\(u\{([0-9a-f]+)\}|.)/g, (_, escaped: string, hex: string | undefined) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    const named: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    return named[escaped] ?? escaped;
  });
}

const LINE = /^\s*\{ key = '((?:[^'\\]|\\.)*)', mods = '([^']*)', action = (.*) \},$/;

export function parseShowKeys(output: string): LoadedConfig {
  const keys = new Map<string, string>();
  const domains: LoadedDomain[] = [];
  let section: 'keys' | 'probe' | 'other' = 'other';
  for (const line of output.split('\n')) {
    if (/^ {2}keys = \{$/.test(line)) section = 'keys';
    else if (/^ {2}key_tables = \{$/.test(line)) section = 'other';
    else if (line === `    ${PROBE_TABLE} = {`) section = 'probe';
    else if (/^ {4}\S+ = \{$/.test(line)) section = 'other';
    const match = LINE.exec(line);
    if (!match || section === 'other') continue;
    const [, rawKey, mods, action] = match as unknown as [string, string, string, string];
    if (section === 'keys') {
      const key = unquote(rawKey);
      const combo = normalizeBinding(key.startsWith('phys:') ? key : `mapped:${key}`, mods);
      keys.set(`${combo.key}+${combo.mods.join('|')}`, action);
      continue;
    }
    const event = /^act\.EmitEvent '((?:[^'\\]|\\.)*)'$/.exec(action);
    if (!event) continue;
    const [list = '', name = '', remote_address = '', multiplexing = ''] = unquote(event[1]!).split('\t');
    domains.push({ list, name, remote_address, multiplexing });
  }
  return { keys, domains };
}

/** LAUNCHER_FLAGS is in LauncherFlags' to_string order (config/src/keyassignment.rs), as WezTerm prints them. */
const FLAG_ORDER: readonly string[] = LAUNCHER_FLAGS;

/** The action as `show-keys --lua` prints it (`luaify`: a string field is written `name =  'value'`). */
export function printedAction(action: WantedAction): string {
  if (action.name === 'SpawnTab') return `act.SpawnTab{ DomainName =  '${action.domain}' }`;
  const flags = action.flags.split('|').map((flag) => flag.trim());
  return `act.ShowLauncherArgs{ flags =  '${FLAG_ORDER.filter((flag) => flags.includes(flag)).join('|')}' }`;
}

/** The wanted bindings WezTerm did not load as asc wants them, each with what it has instead. */
export function missingBindings(loaded: LoadedConfig, wanted: readonly WantedBinding[]): string[] {
  const missing: string[] = [];
  for (const want of wanted) {
    const found = loaded.keys.get(`${want.combo.key}+${want.combo.mods.join('|')}`);
    if (found === printedAction(want.action)) continue;
    missing.push(`${want.label} is ${found ?? 'not bound'}`);
  }
  return missing;
}
