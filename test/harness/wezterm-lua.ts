/**
 * Evaluates a WezTerm config in a real Lua 5.4 VM (wasmoon: the reference Lua interpreter compiled to
 * WebAssembly), with a stub `wezterm` module, so tests assert on the table WezTerm would get, not on text.
 *
 * The stub follows WezTerm's Lua API where configs touch it: `wezterm.action` is a table whose fields
 * are actions (`act.ShowLauncher`) and can be called with an argument (`act.SpawnTab { … }`), and which
 * can itself be called with `{ Name = argument }` (the older form); `config_builder()` returns a table.
 * Every action becomes `{ action = 'Name', arg = … }` in the result.
 */
import { LuaFactory } from 'wasmoon';

/** An action as the evaluated config holds it. */
export interface EvaluatedAction {
  action: string;
  arg?: unknown;
}

export interface EvaluatedKey {
  key: string;
  mods?: string;
  action: EvaluatedAction | string;
}

export interface EvaluatedConfig {
  ssh_domains?: Record<string, unknown>[];
  keys?: EvaluatedKey[];
  disable_default_key_bindings?: boolean;
  [name: string]: unknown;
}

const STUB = String.raw`
local function action(name, arg)
  return { __action = name, arg = arg }
end
local actions = setmetatable({}, {
  __index = function(_, name)
    return setmetatable({ __action = name }, {
      __call = function(_, arg) return action(name, arg) end,
    })
  end,
  __call = function(_, spec)
    local name, arg = next(spec)
    return action(name, arg)
  end,
})
local wezterm = {
  action = actions,
  config_builder = function() return {} end,
  action_callback = function(fn) return action('EmitEvent', 'callback') end,
  default_ssh_domains = function()
    return { { name = 'SSH:github.com', remote_address = 'github.com', multiplexing = 'None' } }
  end,
  home_dir = '/Users/rbha18',
  config_dir = '/Users/rbha18/.config/wezterm',
  target_triple = 'aarch64-apple-darwin',
  version = '20240203-110809-5046fc22',
  on = function() end,
  log_info = function() end,
  log_warn = function() end,
  log_error = function() end,
  font = function(...) return { font = { ... } } end,
  font_with_fallback = function(...) return { font = { ... } } end,
}
package.preload.wezterm = function() return wezterm end

-- Plain data for JavaScript: actions named, functions as a marker, no metatables.
local function snapshot(value, seen)
  if type(value) == 'function' then return '<function>' end
  if type(value) ~= 'table' then return value end
  if rawget(value, '__action') then
    return { action = rawget(value, '__action'), arg = snapshot(rawget(value, 'arg'), seen) }
  end
  seen = seen or {}
  if seen[value] then return '<cycle>' end
  seen[value] = true
  local out = {}
  for k, v in pairs(value) do out[k] = snapshot(v, seen) end
  seen[value] = nil
  return out
end

local main = assert(load(__main, '@main.lua'))
return snapshot(main())
`;

let factory: LuaFactory | undefined;

/**
 * Run `main` (a chunk that returns the config) with `modules` (name → Lua source) available to
 * `require`. Lua errors reject with Lua's own message (file and line).
 */
export async function evaluateWezTermConfig(
  main: string,
  modules: Record<string, string> = {},
): Promise<EvaluatedConfig> {
  factory ??= new LuaFactory();
  const lua = await factory.createEngine();
  try {
    if (lua.global.get('_VERSION') !== 'Lua 5.4') throw new Error('wasmoon is not Lua 5.4');
    // Strings cross into Lua as strings; a JavaScript object would arrive as a proxy that `pairs` refuses.
    for (const [name, source] of Object.entries(modules)) {
      lua.global.set('__name', name);
      lua.global.set('__source', source);
      await lua.doString(
        "local name, source = __name, __source\npackage.preload[name] = function(...) return assert(load(source, '@' .. name .. '.lua'))(...) end",
      );
    }
    lua.global.set('__main', main);
    return (await lua.doString(STUB)) as EvaluatedConfig;
  } finally {
    lua.global.close();
  }
}

/**
 * The bindings as WezTerm keeps them (`Config::key_bindings`): mods parsed (`CMD` = `SUPER`…),
 * `normalize_shift` applied (SHIFT + an ASCII letter = the upper-case letter), later bindings of the
 * same keys replacing earlier ones. Returns `KEY MODS` → the actions bound, in file order, so a test can
 * see duplicates too.
 */
export function bindingsByKeys(
  keys: readonly EvaluatedKey[] | undefined,
): Map<string, (EvaluatedAction | string)[]> {
  const names: Record<string, string> = {
    CMD: 'SUPER',
    WIN: 'SUPER',
    SUPER: 'SUPER',
    OPT: 'ALT',
    META: 'ALT',
    ALT: 'ALT',
    CTRL: 'CTRL',
    SHIFT: 'SHIFT',
    LEADER: 'LEADER',
  };
  const out = new Map<string, (EvaluatedAction | string)[]>();
  for (const binding of keys ?? []) {
    const mods = new Set<string>();
    for (const raw of (binding.mods ?? '').split('|')) {
      const name = raw.trim();
      if (name === '' || name === 'NONE') continue;
      const canonical = names[name];
      if (!canonical)
        throw new Error(`WezTerm would refuse mods ${binding.mods}: invalid modifier name ${name}`);
      mods.add(canonical);
    }
    let key = binding.key.replace(/^mapped:/, '');
    if (mods.has('SHIFT') && /^[A-Za-z]$/.test(key)) {
      key = key.toUpperCase();
      mods.delete('SHIFT');
    }
    const id = `${key} ${['SHIFT', 'ALT', 'CTRL', 'SUPER', 'LEADER'].filter((m) => mods.has(m)).join('|') || 'NONE'}`;
    out.set(id, [...(out.get(id) ?? []), binding.action]);
  }
  return out;
}
