/**
 * Evaluates a WezTerm config in a real Lua 5.4 VM with the stub `wezterm` module of
 * test/sim/lib/wezterm-lua.mjs, so tests assert on the table WezTerm would get, not on text. Every action
 * becomes `{ action = 'Name', arg = … }` in the result.
 */
import { SNAPSHOT, stubSource, withLua } from '../sim/lib/wezterm-lua.mjs';

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

/** The hosts of the user's ~/.ssh/config that `wezterm.default_ssh_domains()` is built from, in tests. */
export const SSH_HOSTS = ['github.com'];

/**
 * Run `main` (a chunk that returns the config) with `modules` (name → Lua source) available to
 * `require`. Lua errors reject with Lua's own message (file and line). `anyModule`: a module not in
 * `modules` loads as the stub's `anything` instead of failing.
 */
export async function evaluateWezTermConfig(
  main: string,
  modules: Record<string, string> = {},
  options: { anyModule?: boolean } = {},
): Promise<EvaluatedConfig> {
  return withLua(async (lua) => {
    // Strings cross into Lua as strings; a JavaScript object would arrive as a proxy that `pairs` refuses.
    for (const [name, source] of Object.entries(modules)) {
      lua.global.set('__name', name);
      lua.global.set('__source', source);
      await lua.doString(
        "local name, source = __name, __source\npackage.preload[name] = function(...) return assert(load(source, '@' .. name .. '.lua'))(...) end",
      );
    }
    lua.global.set('__main', main);
    const stub = stubSource({
      home: '/Users/rbha18',
      configDir: '/Users/rbha18/.config/wezterm',
      configFile: '/Users/rbha18/.config/wezterm/wezterm.lua',
      sshHosts: SSH_HOSTS,
    });
    // With anyModule, a module the test does not have (a theme, a status bar) loads as `anything`.
    const anyModule = options.anyModule
      ? 'table.insert(package.searchers, function() return function() return __anything end end)\n'
      : '';
    return (await lua.doString(
      `${stub}\n${SNAPSHOT}\n${anyModule}local main = assert(load(__main, '@main.lua'))\nreturn snapshot(main())`,
    )) as EvaluatedConfig;
  });
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
  // An empty Lua table comes out of the VM as {}, not [].
  for (const binding of Array.isArray(keys) ? keys : Object.values(keys ?? {})) {
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
