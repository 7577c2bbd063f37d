#!/usr/bin/env node
// The fake `wezterm` CLI of the simulated Mac (test/sim). It loads the config as WezTerm does and evaluates
// it in a real Lua 5.4 VM with the stub `wezterm` module (test/sim/lib/wezterm-lua.mjs):
// - the file: --config-file, else $WEZTERM_CONFIG_FILE (both required), else ~/.wezterm.lua, else
//   $XDG_CONFIG_HOME/wezterm/wezterm.lua (config/src/config.rs `load_config`);
// - `package.path` starts with the config folders and ~/.wezterm (config/src/lua.rs `make_lua_context`);
// - `--config name=value` runs `config.name = value` on the final table, with `config` a global
//   (config.rs `apply_overrides_to`);
// - a config that fails to load is logged as an ERROR on stderr and the defaults are used, exit 0.
// Subcommands: `--version`, and `show-keys [--lua] [--key-table NAME]`, printed as
// wezterm-gui/src/inputmap.rs prints them (without --lua, the actions are shown as --lua shows them, not
// in Rust's Debug form). The default bindings are the ones WezTerm has for the keys asc
// binds and a few beside them (docs: config/default-keys.md), not all of them.
import '../lib/delay.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FILE_SEARCHER, SNAPSHOT, stubSource, WEZTERM_VERSION, withLua } from '../lib/wezterm-lua.mjs';

const env = process.env;
const home = env.HOME ?? '/';
const configHome = path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'wezterm');
const version = env.FAKE_WEZTERM_VERSION || WEZTERM_VERSION;
const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
const stamp = () => new Date().toISOString().replace(/\.(\d{3})\d*Z$/, '.$1Z');
const logError = (message) => process.stderr.write(`${stamp()}  ERROR  wezterm_gui > ${message}\n`);
const usage = (message) => {
  process.stderr.write(
    `error: ${message}\n\nUsage: wezterm [OPTIONS] [COMMAND]\n\nFor more information, try '--help'.\n`,
  );
  process.exit(2);
};

// Global options (clap): they come before the subcommand.
const args = process.argv.slice(2);
let configFile;
let skipConfig = false;
const overrides = [];
let i = 0;
for (; i < args.length; i++) {
  const arg = args[i];
  const value = (name) => (arg.includes('=') ? arg.slice(name.length + 1) : args[++i]);
  if (arg === '--version' || arg === '-V') {
    process.stdout.write(`wezterm ${version}\n`);
    process.exit(0);
  } else if (arg === '-n' || arg === '--skip-config') skipConfig = true;
  else if (arg === '--config-file' || arg.startsWith('--config-file=')) configFile = value('--config-file');
  else if (arg === '--config' || arg.startsWith('--config=')) {
    const pair = value('--config');
    if (pair === undefined) usage("a value is required for '--config <name=value>' but none was supplied");
    const at = pair.indexOf('=');
    if (at < 0)
      usage(`invalid value '${pair}' for '--config <name=value>': Expected name=value, but got ${pair}`);
    overrides.push([pair.slice(0, at), pair.slice(at + 1)]);
  } else if (arg.startsWith('-')) usage(`unexpected argument '${arg}' found`);
  else break;
}
const command = args[i];
const rest = args.slice(i + 1);
if (command !== 'show-keys') {
  process.stderr.write(
    `fake wezterm: \`${command ?? '(start)'}\` is not simulated; only --version and show-keys are\n`,
  );
  process.exit(1);
}
let lua = false;
let onlyTable;
for (let j = 0; j < rest.length; j++) {
  if (rest[j] === '--lua') lua = true;
  else if (rest[j] === '--key-table') onlyTable = rest[++j];
  else usage(`unexpected argument '${rest[j]}' found`);
}

/** The file WezTerm loads, and whether it must exist. */
function configPath() {
  if (skipConfig) return undefined;
  if (configFile) return { file: path.resolve(configFile), required: true };
  if (env.WEZTERM_CONFIG_FILE) return { file: path.resolve(env.WEZTERM_CONFIG_FILE), required: true };
  for (const file of [path.join(home, '.wezterm.lua'), path.join(configHome, 'wezterm.lua')]) {
    if (read(file) !== undefined) return { file, required: false };
  }
  return undefined;
}

/** The hosts of ~/.ssh/config (and files it Includes by absolute path) without wildcards. */
function sshHosts(file = path.join(home, '.ssh', 'config'), seen = new Set()) {
  if (seen.has(file)) return [];
  seen.add(file);
  const hosts = [];
  for (const line of (read(file) ?? '').split('\n')) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (/^include$/i.test(keyword ?? '')) for (const target of values) hosts.push(...sshHosts(target, seen));
    if (/^host$/i.test(keyword ?? '')) hosts.push(...values.filter((host) => !/[*?!]/.test(host)));
  }
  return [...new Set(hosts)];
}

async function loadConfig() {
  const found = configPath();
  return withLua(async (engine) => {
    engine.global.set('__read_file', (file) => read(file));
    const searchPath = [configHome, path.join(home, '.wezterm')]
      .flatMap((dir) => [`${dir}/?.lua`, `${dir}/?/init.lua`])
      .join(';');
    const file = found?.file ?? path.join(configHome, 'wezterm.lua');
    await engine.doString(
      `${stubSource({ home, configDir: path.dirname(file), configFile: file, sshHosts: sshHosts() })}\n${SNAPSHOT}\n${FILE_SEARCHER}\npackage.path = ${JSON.stringify(searchPath)} .. ';' .. package.path`,
    );
    let loaded = false;
    if (found) {
      const source = read(found.file);
      if (source === undefined && found.required)
        logError(`Error loading configuration: ${found.file}: No such file or directory`);
      if (source !== undefined) {
        engine.global.set('__source', source);
        engine.global.set('__file', found.file);
        try {
          await engine.doString("__config = assert(load(__source, '@' .. __file))()");
          loaded = true;
        } catch (error) {
          logError(`While (re)loading configuration: ${String(error?.message ?? error)}`);
        }
      }
    }
    if (!loaded) await engine.doString('__config = {}');
    for (const [name, value] of overrides) {
      if (value === 'nil') continue;
      const code = `config = __config\nlocal wezterm = require 'wezterm';\nlocal value = ${value};\nif value == nil then error(${JSON.stringify(`${value} evaluated as nil. Check for missing quotes or other syntax issues`)}) end\nconfig.${name} = value;\n__config = config`;
      try {
        await engine.doString(code);
      } catch (error) {
        logError(`--config ${name}=${value}: ${String(error?.message ?? error)}`);
        process.exit(1);
      }
    }
    return engine.doString('return snapshot(__config)');
  });
}

// Modifiers in bit order, as bitflags 1.x's Debug prints them (wezterm-input-types/src/lib.rs).
const MOD_BITS = { SHIFT: 2, ALT: 4, CTRL: 8, SUPER: 16, LEADER: 128 };
const MOD_NAMES = {
  SHIFT: 'SHIFT',
  ALT: 'ALT',
  OPT: 'ALT',
  META: 'ALT',
  CTRL: 'CTRL',
  SUPER: 'SUPER',
  CMD: 'SUPER',
  WIN: 'SUPER',
  LEADER: 'LEADER',
  NONE: '',
  '': '',
};
const CHARS = { Backspace: '\b', Tab: '\t', Return: '\r', Enter: '\r', Escape: '\x1b', Delete: '\x7f' };

/** `{ key, mods }` as `Config::key_bindings` stores it: the key code and the modifiers' bits. */
function normalize(key, mods, preference) {
  let bits = 0;
  for (const part of String(mods ?? '').split('|')) {
    const name = MOD_NAMES[part.trim()];
    if (name === undefined) throw new Error(`invalid modifier name ${part.trim()} in ${mods}`);
    if (name) bits |= MOD_BITS[name];
  }
  let [, kind, name] = /^(mapped|phys|raw):(.+)$/.exec(key) ?? [];
  if (!kind) [kind, name] = [preference === 'Physical' && /^[A-Za-z0-9]$/.test(key) ? 'phys' : 'mapped', key];
  if (kind === 'phys' && name.length === 1) name = name.toUpperCase();
  if (kind === 'mapped') {
    name = CHARS[name] ?? name;
    if (bits & MOD_BITS.SHIFT && /^[A-Za-z]$/.test(name)) {
      name = name.toUpperCase();
      bits &= ~MOD_BITS.SHIFT;
    }
  }
  return { kind, name, bits };
}

const DEFAULTS = [
  ['t', 'SUPER', { action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
  ['T', 'SUPER|SHIFT', { action: 'SpawnTab', arg: 'DefaultDomain' }],
  ['T', 'CTRL|SHIFT', { action: 'SpawnTab', arg: 'CurrentPaneDomain' }],
  ['c', 'SUPER', { action: 'CopyTo', arg: 'Clipboard' }],
  ['v', 'SUPER', { action: 'PasteFrom', arg: 'Clipboard' }],
  ['w', 'SUPER', { action: 'CloseCurrentTab', arg: { confirm: true } }],
  ['n', 'SUPER', { action: 'SpawnWindow' }],
  ['L', 'CTRL|SHIFT', { action: 'ShowDebugOverlay' }],
  ['P', 'CTRL|SHIFT', { action: 'ActivateCommandPalette' }],
];

function keyTable(bindings, preference) {
  const table = new Map();
  for (const binding of Array.isArray(bindings) ? bindings : Object.values(bindings ?? {})) {
    const combo = normalize(binding.key, binding.mods, preference);
    table.set(`${combo.kind}\0${combo.name}\0${combo.bits}`, { ...combo, action: binding.action });
  }
  return table;
}

/** `quote_lua_string` of inputmap.rs. */
function quote(text) {
  const named = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '\\': '\\\\',
    '"': '\\"',
    "'": "\\'",
  };
  let out = "'";
  for (const char of text) {
    if (named[char]) out += named[char];
    else if (/[\p{L}\p{N}]/u.test(char) || /^[!-/:-@[-`{-~]$/.test(char)) out += char;
    else out += `\\u{${char.codePointAt(0).toString(16)}}`;
  }
  return `${out}'`;
}

/** `luaify` of inputmap.rs: an action's dynamic value as Lua. */
function luaify(value, top) {
  if (typeof value === 'string') return top ? `act.${value}` : quote(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (value === null || value === undefined) return 'nil';
  const inner = (v) => {
    if (typeof v === 'string') return ` ${luaify(v, false)}`;
    if (typeof v === 'number') return `(${v})`;
    if (Array.isArray(v)) return `{ ${v.map((item) => luaify(item, false)).join(', ')} }`;
    return luaify(v, false);
  };
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (top) return `act.${entries[0][0]}${inner(entries[0][1])}`;
  const fields = entries
    .filter(
      ([, v]) =>
        v !== null &&
        v !== undefined &&
        !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0),
    )
    .map(([k, v]) => `${k} = ${inner(v)}`);
  return `{ ${fields.join(', ')} }`;
}

/** The stub's `{ action, arg }` as WezTerm's dynamic value: a name, or `{ Name = arg }`. */
const dynamicAction = (action) =>
  typeof action === 'string'
    ? action
    : action.arg === undefined
      ? action.action
      : { [action.action]: action.arg };

function luaKey({ kind, name, bits, action }) {
  const key =
    kind === 'phys'
      ? `phys:${name}`
      : kind === 'raw'
        ? `RawCode(${name})`
        : ({
            '\x1b': 'Escape',
            '\x7f': 'Escape',
            '\b': 'Backspace',
            '\r': 'Enter',
            ' ': 'Space',
            '\t': 'Tab',
          }[name] ?? name);
  const mods =
    Object.entries(MOD_BITS)
      .filter(([, bit]) => bits & bit)
      .map(([mod]) => mod)
      .join('|') || 'NONE';
  return `{ key = ${quote(key)}, mods = '${mods}', action = ${luaify(dynamicAction(action), true)} }`;
}

function printTable(table, indent) {
  const order = { mapped: 0, phys: 1, raw: 2 };
  const rows = [...table.values()].sort(
    (a, b) => order[a.kind] - order[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.bits - b.bits),
  );
  for (const row of rows) process.stdout.write(`${' '.repeat(indent)}${luaKey(row)},\n`);
}

const config = await loadConfig();
let keys;
let tables;
try {
  keys = keyTable(config.keys ?? [], config.key_map_preference);
  if (!config.disable_default_key_bindings) {
    for (const [id, row] of keyTable(
      DEFAULTS.map(([key, mods, action]) => ({ key, mods, action })),
    ).entries()) {
      if (!keys.has(id)) keys.set(id, row);
    }
  }
  tables = new Map(
    Object.entries(config.key_tables ?? {}).map(([name, list]) => [
      name,
      keyTable(list, config.key_map_preference),
    ]),
  );
} catch (error) {
  logError(`While (re)loading configuration: ${error.message}`);
  keys = keyTable(DEFAULTS.map(([key, mods, action]) => ({ key, mods, action })));
  tables = new Map();
}
for (const name of ['copy_mode', 'search_mode']) if (!tables.has(name)) tables.set(name, new Map());

if (!lua) {
  process.stdout.write('Default key table\n-----------------\n\n');
  for (const row of keys.values()) process.stdout.write(`\t${luaKey(row)}\n`);
  process.exit(0);
}
process.stdout.write("local wezterm = require 'wezterm'\nlocal act = wezterm.action\n\nreturn {\n");
if (onlyTable === undefined) {
  process.stdout.write('  keys = {\n');
  printTable(keys, 4);
  process.stdout.write('  },\n\n');
}
process.stdout.write('  key_tables = {\n');
for (const name of [...tables.keys()].sort()) {
  if (onlyTable !== undefined && name !== onlyTable) continue;
  process.stdout.write(`    ${name} = {\n`);
  printTable(tables.get(name), 6);
  process.stdout.write('    },\n\n');
}
process.stdout.write('  }\n}\n');
