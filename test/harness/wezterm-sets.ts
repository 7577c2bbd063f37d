/**
 * WezTerm configs as sets of files, staged in a sandbox HOME where WezTerm would find them: the real ones
 * of ../shared/fixtures/wezterm-configs (read in place, laid out by its README's MANIFEST) and our own of
 * test/fixtures/wezterm. Modules a real set requires but the fixtures do not hold load as the stub's
 * `anything`, but for the few whose shape the config depends on (a merge function), stubbed here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './sandbox.ts';

export const REAL_DIR = path.resolve(ROOT, '../shared/fixtures/wezterm-configs');
const OWN_DIR = path.join(ROOT, 'test/fixtures/wezterm');

export interface ConfigFile {
  /** Where the text comes from. */
  source: string;
  /** Where WezTerm finds it, relative to HOME. */
  installedAs: string;
  /** Its name for `require`; undefined for the main file. */
  requireName?: string;
}

export interface ConfigSet {
  name: string;
  main: ConfigFile;
  modules: ConfigFile[];
  /** Lua sources of required modules the set does not hold, by require name. */
  stubs: Record<string, string>;
}

const MERGE = `local function merge(...)
  local out = {}
  for _, t in ipairs({ ... }) do
    if type(t) == 'table' then for k, v in pairs(t) do out[k] = v end end
  end
  return out
end`;

/** Stubs of modules not taken into the fixtures whose result shapes the config (their README lists them). */
const STUBS: Record<string, Record<string, string>> = {
  '18': { 'lib/mystdlib': `${MERGE}\nreturn { mytable = { merge_all = merge } }` },
  '19': {
    'lib/mystdlib': `${MERGE}\nlocal function flatten(list, out) out = out or {} for _, v in ipairs(list) do if type(v) == 'table' and v.key == nil then flatten(v, out) else out[#out + 1] = v end end return out end\nreturn { mytable = { merge_all = merge, flatten_list = flatten } }`,
  },
  '20': {
    utils: `${MERGE}\nreturn { merge = merge, req = function(name) return require(name) end, map = function(t, f) local out = {} for i, v in ipairs(t) do out[i] = f(v) end return out end }`,
  },
  '21': {
    utils: `${MERGE}\nreturn { merge_tables = merge, merge_lists = function(a, b) local out = {} for _, l in ipairs({ a, b }) do for _, v in ipairs(l) do out[#out + 1] = v end end return out end }`,
  },
};

export const realFixturesAvailable = existsSync(path.join(REAL_DIR, 'README.md'));

/** The real sets, from the MANIFEST: `set role file require-name installed-as …`. */
export function realSets(): ConfigSet[] {
  const readme = readFileSync(path.join(REAL_DIR, 'README.md'), 'utf8');
  const manifest = /## MANIFEST[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const sets = new Map<string, ConfigSet>();
  for (const line of manifest.split('\n').slice(1)) {
    const [set, role, file, requireName, installedAs] = line.trim().split(/\s+/);
    if (!set || !file || !installedAs) continue;
    const entry: ConfigFile = {
      source: path.join(REAL_DIR, file),
      installedAs: installedAs.replace(/^~\//, ''),
      ...(role === 'module' ? { requireName } : {}),
    };
    const found: Partial<ConfigSet> & { modules: ConfigFile[] } = sets.get(set) ?? {
      name: `${set} ${file.replace(/-main\.lua$|\.lua$/, '')}`,
      modules: [],
      stubs: STUBS[set] ?? {},
    };
    if (role === 'main') found.main = entry;
    else found.modules.push(entry);
    sets.set(set, found as ConfigSet);
  }
  return [...sets.values()];
}

const own = (file: string, installedAs: string, requireName?: string): ConfigFile => ({
  source: path.join(OWN_DIR, file),
  installedAs,
  ...(requireName ? { requireName } : {}),
});

/** Our own sets, for the shapes the real ones lack or show only through stubs. */
export function ownSets(): ConfigSet[] {
  const dir = '.config/wezterm';
  return [
    {
      name: 'own config_builder with <const> locals',
      main: own('config-builder.lua', `${dir}/wezterm.lua`),
      modules: [],
      stubs: {},
    },
    {
      name: 'own return { … } in wezterm.action { … } style',
      main: own('legacy-table.lua', '.wezterm.lua'),
      modules: [],
      stubs: {},
    },
    {
      name: 'own CRLF, tabs, default_ssh_domains, computed mods, loop, CMD+S',
      main: own('sets/crlf-tabs.lua', `${dir}/wezterm.lua`),
      modules: [],
      stubs: {},
    },
    {
      name: 'own return function(config) and apply_to_config modules',
      main: own('sets/function-main.lua', `${dir}/wezterm.lua`),
      modules: [
        own('sets/function-keys.lua', `${dir}/keys.lua`, 'keys'),
        own('sets/function-domains.lua', `${dir}/domains.lua`, 'domains'),
      ],
      stubs: {},
    },
    {
      name: 'own M.setup modules, keys computed by functions',
      main: own('sets/setup-main.lua', `${dir}/wezterm.lua`),
      modules: [
        own('setup-module-domains.lua', `${dir}/domains.lua`, 'domains'),
        own('computed-keys.lua', `${dir}/keys.lua`, 'keys'),
      ],
      stubs: {},
    },
  ];
}
