import type { LuaEngine } from 'wasmoon';

export const WEZTERM_VERSION: string;
export function stubSource(options: {
  home: string;
  configDir: string;
  configFile: string;
  sshHosts: readonly string[];
}): string;
export const SNAPSHOT: string;
export const FILE_SEARCHER: string;
export function withLua<T>(use: (lua: LuaEngine) => Promise<T>): Promise<T>;
