import { homedir } from 'node:os';
import path from 'node:path';

/** Where the search looks in each folder, in order (cosmiconfig's `searchPlaces`). */
export const SEARCH_PLACES = [
  'package.json',
  '.ascrc',
  '.ascrc.yaml',
  '.ascrc.yml',
  '.ascrc.json',
  '.ascrc.mjs',
  '.ascrc.js',
  '.ascrc.ts',
  '.config/ascrc.yaml',
  '.config/ascrc.yml',
  '.config/ascrc.json',
  'asc.config.mjs',
  'asc.config.js',
  'asc.config.ts',
];

/** asc's global config, when the search finds nothing: `~/.config/asc/config.{yaml,yml,json}`. */
export function globalConfigFiles(home: string, env: NodeJS.ProcessEnv): string[] {
  const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
  return ['config.yaml', 'config.yml', 'config.json'].map((name) => path.join(configHome, 'asc', name));
}

/** The folders searched: from `cwd` up to `home` (or `/`, when `cwd` is not under it). */
export function* searchedDirs(cwd: string, home: string): Generator<string> {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    yield dir;
    if (dir === home || dir === path.dirname(dir)) return;
  }
}

/**
 * Every file whose presence or content can decide which config a search finds and what it holds: the
 * search places from `cwd` up, cosmiconfig's own global folder (env-paths': `~/Library/Preferences/asc`
 * on macOS, `$XDG_CONFIG_HOME/asc` elsewhere, with its `config*` names) and asc's global config.
 */
export function candidateFiles(cwd: string, home: string, env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  for (const dir of searchedDirs(cwd, home))
    for (const place of SEARCH_PLACES) files.push(path.join(dir, place));
  const osHome = homedir();
  const cosmiconfigGlobal =
    process.platform === 'darwin'
      ? path.join(osHome, 'Library', 'Preferences', 'asc')
      : path.join(env.XDG_CONFIG_HOME || path.join(osHome, '.config'), 'asc');
  for (const name of [
    'config',
    'config.json',
    'config.yaml',
    'config.yml',
    'config.js',
    'config.ts',
    'config.cjs',
    'config.mjs',
  ]) {
    files.push(path.join(cosmiconfigGlobal, name));
  }
  files.push(...globalConfigFiles(home, env));
  return [...new Set(files)];
}
