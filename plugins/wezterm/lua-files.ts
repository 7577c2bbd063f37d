import path from 'node:path';
import { AscError, type AscTaskContext, displayPath } from '../../src/index.ts';
import { MODULE_NAME } from './module.ts';

/** A Lua file asc reads or writes. */
export interface LuaFile {
  /** Absolute, `~` expanded. */
  path: string;
  /** `~/…` for messages. */
  shown: string;
  /** The main file was named by configFile (else asc found it where WezTerm looks). */
  named?: boolean;
}

export const CONFIG_OPTION = 'plugins.wezterm.configFile';

const file = (absolute: string, home: string): LuaFile => ({
  path: absolute,
  shown: displayPath(absolute, home),
});

/** WezTerm's first config folder: `$XDG_CONFIG_HOME/wezterm`, else `~/.config/wezterm` (config/src/lib.rs `config_dirs`). */
export function weztermConfigDir(home: string, env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config'), 'wezterm');
}

/**
 * `ascalon.lua` in WezTerm's config folder, which WezTerm puts first on `package.path` whichever file it
 * loads (config/src/lua.rs `make_lua_context`), so `require("ascalon")` finds it from any config.
 */
export function moduleFile(t: AscTaskContext): LuaFile {
  return file(path.join(weztermConfigDir(t.host.home, t.host.env), `${MODULE_NAME}.lua`), t.host.home);
}

/**
 * The main config file: `configFile` (`~` is the home, a relative path is from the asc config's folder),
 * else the one WezTerm loads (config/src/config.rs `load_config`): $WEZTERM_CONFIG_FILE, then
 * ~/.wezterm.lua, then wezterm.lua in its config folder.
 */
export async function mainFile(t: AscTaskContext, configFile: string | undefined): Promise<LuaFile> {
  const home = t.host.home;
  if (configFile) {
    return { ...file(path.resolve(t.config.dir, configFile.replace(/^~(?=\/|$)/, home)), home), named: true };
  }
  const env = t.host.env.WEZTERM_CONFIG_FILE;
  if (env) return file(path.resolve(env), home);
  const dotfile = path.join(home, '.wezterm.lua');
  if ((await t.files.read(dotfile).catch(() => undefined)) !== undefined) return file(dotfile, home);
  return file(path.join(weztermConfigDir(home, t.host.env), 'wezterm.lua'), home);
}

/** The main file's text; a missing file or a folder is an error that names the option. */
export async function readMain(t: AscTaskContext, main: LuaFile): Promise<string> {
  let text: string | undefined;
  try {
    text = await t.files.read(main.path);
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EISDIR') {
      throw new AscError(`${CONFIG_OPTION} is a folder, not a Lua file: ${main.shown}`, {
        code: 'E_FILE',
        hint: `name the file WezTerm loads in it: ${path.join(main.shown, 'wezterm.lua')}`,
      });
    }
    throw error;
  }
  if (text === undefined) {
    const hint = `set ${CONFIG_OPTION} in your asc config to the file WezTerm loads (or its source in your repo, when Nix deploys it)`;
    if (main.named) {
      throw new AscError(`${CONFIG_OPTION} names ${main.shown}, which does not exist`, {
        code: 'E_FILE',
        hint,
      });
    }
    throw new AscError(
      `no WezTerm config: none of $WEZTERM_CONFIG_FILE, ~/.wezterm.lua, ${main.shown} exists`,
      { code: 'E_FILE', hint: `write ${main.shown} (WezTerm's own place for it), or ${hint}` },
    );
  }
  return text;
}

/** Where a path really is, and whether this user may replace it. */
export interface Access {
  /** The path with every link resolved (its nearest existing folder, for a file not there yet). */
  real: string;
  writable: boolean;
}

/**
 * Ask the host where each path really is and whether it may be written: a file Nix or home-manager
 * manages is a link into the read-only store, and asc must not write through it.
 */
export async function access(t: AscTaskContext, paths: readonly string[]): Promise<Access[]> {
  const script = [
    'for p in "$@"; do',
    '  d=$p; while [ ! -e "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done',
    '  if [ -w "$d" ]; then w=w; else w=r; fi',
    '  printf "%s\\t%s\\n" "$w" "$(realpath "$d" 2>/dev/null || printf %s "$d")"',
    'done',
  ].join('\n');
  const result = await t.exec.query('sh', ['-c', script, 'sh', ...paths]);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((row) => ({ writable: row.startsWith('w\t'), real: row.slice(2) }));
}

/** The Nix store ($NIX_STORE_DIR, default /nix/store). */
export function inNixStore(t: AscTaskContext, real: string): boolean {
  const store = path.resolve(t.host.env.NIX_STORE_DIR || '/nix/store');
  return real === store || real.startsWith(`${store}/`);
}
