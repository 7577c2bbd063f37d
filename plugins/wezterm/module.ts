/**
 * The Lua module asc owns, `ascalon.lua`, rendered whole from a data description: the domains and the
 * key bindings asc wants. WezTerm's config calls it last (`return require("ascalon")(config)`), on the
 * final config table, however the user's files built it. Another feature adds a domain kind or entry,
 * or changes a binding, by changing the description, never the Lua.
 */

/** The config lists WezTerm checks for duplicate domain names (config/src/config.rs, check_domain_consistency). */
export const DOMAIN_LISTS = [
  'unix_domains',
  'ssh_domains',
  'exec_domains',
  'wsl_domains',
  'tls_clients',
] as const;
export type DomainList = (typeof DOMAIN_LISTS)[number];

/**
 * What WezTerm uses when the config leaves a list unset, as a Lua expression: an entry added to an unset
 * list starts from it, so the implicit domains survive (`SSH:<host>` from ~/.ssh/config; `unix`).
 */
export const WHEN_UNSET: Readonly<Record<DomainList, string>> = {
  // config.rs `ssh_domains()`: None means wezterm.default_ssh_domains().
  ssh_domains: 'wezterm.default_ssh_domains()',
  // config/src/unix.rs `default_unix_domains()`: one domain named "unix".
  unix_domains: '{ { name = "unix" } }',
  exec_domains: '{}',
  wsl_domains: '{}',
  tls_clients: '{}',
};

/** A value the module holds as data: strings, numbers, booleans, lists and records of them. */
export type LuaData = string | number | boolean | readonly LuaData[] | { readonly [key: string]: LuaData };

/** One domain asc owns: the list it goes in, and its fields (`name` included). */
export interface ModuleDomain {
  list: DomainList;
  fields: { readonly name: string; readonly [field: string]: LuaData };
}

/** One key binding asc owns: `wezterm.action[action](arg)` bound to `key` with `mods`. */
export interface ModuleBinding {
  key: string;
  mods: string;
  action: string;
  arg?: LuaData;
}

export interface ModuleSpec {
  domains: readonly ModuleDomain[];
  bindings: readonly ModuleBinding[];
}

/** The module's name for `require`, and its file name in WezTerm's config folder. */
export const MODULE_NAME = 'ascalon';
/** The first line of every module asc writes: a file without it is someone else's. */
export const MODULE_MARK = '-- ascalon.lua: written by asc (npm package ascalon).';

/** Lua source for `value`: strings in double quotes, records with sorted keys, so a spec renders one way. */
export function luaData(value: LuaData): string {
  if (typeof value === 'string') return luaQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '{}';
    return `{ ${value.map((item) => luaData(item)).join(', ')} }`;
  }
  const record = value as { readonly [key: string]: LuaData };
  const keys = Object.keys(record).sort((a, b) =>
    a === 'name' ? -1 : b === 'name' ? 1 : a.localeCompare(b),
  );
  if (keys.length === 0) return '{}';
  const field = (key: string) =>
    `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${luaQuote(key)}]`} = ${luaData(record[key]!)}`;
  return `{ ${keys.map(field).join(', ')} }`;
}

/** A Lua string literal in double quotes; control characters and non-ASCII as escapes Lua 5.4 reads. */
export function luaQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (code < 0x20 || code === 0x7f) out += `\\${code}`;
    else if (code > 0x7e) out += `\\u{${code.toString(16)}}`;
    else out += char;
  }
  return `${out}"`;
}

/** The whole text of `ascalon.lua` for `spec`. */
export function renderModule(spec: ModuleSpec): string {
  const lists = DOMAIN_LISTS.filter((list) => spec.domains.some((domain) => domain.list === list));
  const domainLines = lists.flatMap((list) => [
    `  ${list} = {`,
    `    unset = function() return ${WHEN_UNSET[list]} end,`,
    '    entries = {',
    ...spec.domains
      .filter((domain) => domain.list === list)
      .map((domain) => `      ${luaData(domain.fields)},`),
    '    },',
    '  },',
  ]);
  const bindingLines = spec.bindings.map((binding) => {
    const arg = binding.arg === undefined ? '' : `, arg = ${luaData(binding.arg)}`;
    return `  { key = ${luaQuote(binding.key)}, mods = ${luaQuote(binding.mods)}, action = ${luaQuote(binding.action)}${arg} },`;
  });
  return [
    MODULE_MARK,
    '-- asc rewrites this file whole and `asc uninstall` removes it: change your asc config, not this file.',
    '-- Your WezTerm config calls it on its final table: `return require("ascalon")(config)`.',
    'local wezterm = require("wezterm")',
    '',
    '-- The domains asc owns, by the list that holds them; `unset` is what WezTerm uses when the config',
    '-- leaves that list out, so the domains it would make (SSH:<host> from ~/.ssh/config) stay.',
    'local DOMAINS = {',
    ...domainLines,
    '}',
    '',
    '-- The lists WezTerm checks for duplicate names: an entry named like one of ours goes, whichever list.',
    `local LISTS = { ${DOMAIN_LISTS.map(luaQuote).join(', ')} }`,
    '',
    '-- The key bindings asc owns: `wezterm.action[action](arg)`.',
    'local BINDINGS = {',
    ...bindingLines,
    '}',
    '',
    NORMALIZE,
    APPLY,
  ].join('\n');
}

/**
 * Key combinations compared as WezTerm compares them: `mods` parsed as `Modifiers::try_from` does
 * (wezterm-input-types/src/lib.rs: split on `|`, trimmed, CMD = WIN = SUPER, OPT = META = ALT, NONE or
 * nothing for none), the key resolved by `key_map_preference` (`mapped:` by default, `phys:`, `raw:`),
 * then `normalize_shift`: with SHIFT, an ASCII letter becomes upper-case and SHIFT is dropped.
 */
const NORMALIZE = String.raw`local MODS = {
  SHIFT = "SHIFT", ALT = "ALT", OPT = "ALT", META = "ALT", CTRL = "CTRL",
  SUPER = "SUPER", CMD = "SUPER", WIN = "SUPER", LEADER = "LEADER", NONE = "",
}
local ORDER = { "SHIFT", "ALT", "CTRL", "SUPER", "LEADER" }
local CHARS = { Backspace = "\b", Tab = "\t", Return = "\r", Enter = "\r", Escape = "\27", Delete = "\127" }

-- "mapped:T SUPER" for { key = "t", mods = "CMD|SHIFT" }; nil for a binding WezTerm would refuse.
local function combo(key, mods, preference)
  if type(key) ~= "string" then return nil end
  if mods ~= nil and type(mods) ~= "string" then return nil end
  local held = {}
  for part in string.gmatch((mods or "") .. "|", "([^|]*)|") do
    local name = MODS[part:match("^%s*(.-)%s*$")]
    if name == nil then return nil end
    if name ~= "" then held[name] = true end
  end
  local kind, name = key:match("^(%l+):(.+)$")
  if kind ~= "mapped" and kind ~= "phys" and kind ~= "raw" then
    kind, name = (preference == "Physical" and #key == 1 and key:match("%w")) and "phys" or "mapped", key
  end
  if kind == "phys" and #name == 1 then name = name:upper() end
  if kind == "mapped" then
    name = CHARS[name] or name
    if held.SHIFT and name:match("^%a$") then
      name = name:upper()
      held.SHIFT = nil
    end
  end
  local list = {}
  for _, mod in ipairs(ORDER) do
    if held[mod] then list[#list + 1] = mod end
  end
  return kind .. ":" .. name .. " " .. table.concat(list, "|")
end
`;

const APPLY = `return function(config)
  if type(config) ~= "table" then return config end

  local ours = {}
  for _, kind in pairs(DOMAINS) do
    for _, entry in ipairs(kind.entries) do ours[entry.name] = true end
  end
  for _, list in ipairs(LISTS) do
    local kind = DOMAINS[list]
    local current = config[list]
    if current == nil and kind ~= nil then current = kind.unset() end
    if type(current) == "table" then
      local kept, dropped = {}, false
      for _, domain in ipairs(current) do
        if type(domain) == "table" and ours[domain.name] then
          dropped = true
        else
          kept[#kept + 1] = domain
        end
      end
      if kind ~= nil then
        for _, entry in ipairs(kind.entries) do
          local copy = {}
          for field, value in pairs(entry) do copy[field] = value end
          kept[#kept + 1] = copy
        end
      end
      if kind ~= nil or dropped then config[list] = kept end
    end
  end

  if #BINDINGS > 0 then
    local preference = config.key_map_preference
    local bound = {}
    for _, binding in ipairs(BINDINGS) do
      local id = combo(binding.key, binding.mods, preference)
      if id then bound[id] = true end
    end
    local keys = {}
    for _, binding in ipairs(config.keys or {}) do
      local id = type(binding) == "table" and combo(binding.key, binding.mods, preference)
      if not (id and bound[id]) then keys[#keys + 1] = binding end
    end
    for _, binding in ipairs(BINDINGS) do
      local action = wezterm.action[binding.action]
      if binding.arg ~= nil then action = action(binding.arg) end
      keys[#keys + 1] = { key = binding.key, mods = binding.mods, action = action }
    end
    config.keys = keys
  end
  return config
end
`;
