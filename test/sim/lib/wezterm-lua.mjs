// A real Lua 5.4 VM (wasmoon: the reference interpreter compiled to WebAssembly) with a stub of WezTerm's
// `wezterm` module, shared by the test harness (test/harness/wezterm-lua.ts) and the fake `wezterm` CLI of
// the simulated Mac (test/sim/bin/wezterm.mjs).
//
// The stub follows WezTerm's Lua API where configs touch it: `wezterm.action` is a table whose fields are
// actions (`act.ShowLauncher`) and can be called with an argument (`act.SpawnTab { … }`), and which can
// itself be called with `{ Name = argument }` (the older form); `config_builder()` returns a table;
// `default_ssh_domains()` gives `SSH:<host>` and `SSHMUX:<host>` for each host the caller names
// (config/src/ssh.rs `default_domains`). Every action becomes `{ action = 'Name', arg = … }` in a snapshot.
import { LuaFactory } from 'wasmoon';

/** The version the stub and the fake CLI report, in WezTerm's own format. */
export const WEZTERM_VERSION = '20240203-110809-5046fc22';

const luaString = (text) => JSON.stringify(String(text));

/**
 * Lua source that defines the stub as `package.preload.wezterm`. `sshHosts` are the hosts
 * `default_ssh_domains()` is built from; `home`, `configDir` and `configFile` are what WezTerm sets.
 */
export function stubSource({ home, configDir, configFile, sshHosts }) {
  const hosts = `{ ${sshHosts.map(luaString).join(', ')} }`;
  return `
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
-- Any other part of WezTerm's API (wezterm.gui, wezterm.mux, wezterm.plugin, wezterm.color, …) is
-- \`anything\`: indexable, callable, concatenable, never a list, so configs that use it still load.
local anything
anything = setmetatable({}, {
  __index = function(_, key) if type(key) == 'string' then return anything end end,
  __call = function() return anything end,
  __concat = function() return '' end,
  __len = function() return 0 end,
  __lt = function() return false end,
  __le = function() return false end,
  __add = function() return 0 end,
  __sub = function() return 0 end,
  __mul = function() return 0 end,
  __div = function() return 0 end,
  __unm = function() return 0 end,
  __tostring = function() return 'anything' end,
})
__anything = anything
-- The real builder's metatable gives it methods (config/src/lua.rs config_builder).
local builder = { __index = { set_strict_mode = function() end } }
local wezterm = setmetatable({
  action = actions,
  config_builder = function() return setmetatable({}, builder) end,
  action_callback = function(fn) return action('EmitEvent', 'callback') end,
  default_ssh_domains = function()
    local plain, mux = {}, {}
    for _, host in ipairs(${hosts}) do
      plain[#plain + 1] = { name = 'SSH:' .. host, remote_address = host, multiplexing = 'None' }
      mux[#mux + 1] = { name = 'SSHMUX:' .. host, remote_address = host, multiplexing = 'WezTerm' }
    end
    for _, domain in ipairs(mux) do plain[#plain + 1] = domain end
    return plain
  end,
  home_dir = ${luaString(home)},
  config_dir = ${luaString(configDir)},
  config_file = ${luaString(configFile)},
  hostname = function() return 'mac' end,
  target_triple = 'aarch64-apple-darwin',
  version = '${WEZTERM_VERSION}',
  on = function() end,
  log_info = function() end,
  log_warn = function() end,
  log_error = function() end,
  font = function(...) return { font = { ... } } end,
  font_with_fallback = function(...) return { font = { ... } } end,
}, { __index = function(_, key) if type(key) == 'string' then return anything end end })
package.preload.wezterm = function() return wezterm end
`;
}

/** Lua: `snapshot(value)`, plain data for JavaScript (actions named, functions as a marker, no metatables). */
export const SNAPSHOT = `
function snapshot(value, seen)
  if type(value) == 'function' then return '<function>' end
  if type(value) ~= 'table' then return value end
  if rawget(value, '__action') then
    return { action = rawget(value, '__action'), arg = snapshot(rawget(value, 'arg'), seen) }
  end
  if type(seen) ~= 'table' then seen = {} end
  if seen[value] then return '<cycle>' end
  seen[value] = true
  local out = {}
  for k, v in pairs(value) do out[k] = snapshot(v, seen) end
  seen[value] = nil
  return out
end
`;

/**
 * Lua: a searcher that reads modules from the real file system along `package.path`, as Lua's own file
 * searcher does (wasmoon's `io` sees only its in-memory file system). `__read_file` is given from JavaScript.
 */
export const FILE_SEARCHER = String.raw`
table.insert(package.searchers, 2, function(name)
  local relative = (name:gsub('%.', '/'))
  local tried = {}
  for template in string.gmatch(package.path, '[^;]+') do
    local file = (template:gsub('%?', relative))
    local source = __read_file(file)
    if source then return assert(load(source, '@' .. file)), file end
    tried[#tried + 1] = "\n\tno file '" .. file .. "'"
  end
  return table.concat(tried)
end)
`;

let factory;

/** Run `use` with a fresh Lua 5.4 engine, closed afterwards. */
export async function withLua(use) {
  factory ??= new LuaFactory();
  const lua = await factory.createEngine();
  try {
    if (lua.global.get('_VERSION') !== 'Lua 5.4') throw new Error('wasmoon is not Lua 5.4');
    return await use(lua);
  } finally {
    lua.global.close();
  }
}
