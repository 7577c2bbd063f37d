import path from 'node:path';
import { type Collected, collectTasks } from './collect.ts';
import { type CachedConfig, readConfigCache, signaturesBefore, writeConfigCache } from './config/cache.ts';
import type { LoadedConfig } from './config/load.ts';
import type { AscParsedConfig } from './config/validate.ts';
import { buildGraph, loadGlobs, type TaskGraph } from './graph.ts';
import { type EnabledPlugin, resolvePlugins } from './plugins.ts';
import type { AscBuiltinPlugin, AscResolvedConfig } from './types.ts';

/** Everything a command needs before it runs anything: config → plugins → VM spec → tasks → graph. */
export interface AscSession {
  loaded: LoadedConfig;
  parsed: AscParsedConfig;
  config: AscResolvedConfig;
  plugins: EnabledPlugin[];
  collected: Collected;
  graph: TaskGraph;
  builtins: readonly AscBuiltinPlugin[];
}

export interface SessionOptions {
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** Ignore every config file: the built-in defaults (doctor falls back to them when the config is broken). */
  defaultsOnly?: boolean;
  /** Search, parse and validate the config even when the config cache holds it (`--no-cache`). */
  noCache?: boolean;
  builtins: readonly AscBuiltinPlugin[];
}

export async function prepareSession(options: SessionOptions): Promise<AscSession> {
  const { loaded, parsed } = await readConfig(options);
  const config: AscResolvedConfig = Object.freeze({
    instance: parsed.instance,
    file: loaded.file,
    dir: loaded.dir,
  });
  const plugins = await resolvePlugins(parsed, loaded, options.builtins, options.home);
  const collected = collectTasks(plugins, parsed, config, options.home);
  await loadGlobs(collected.tasks.flatMap((task) => task.needs));
  const graph = buildGraph(collected);
  return { loaded, parsed, config, plugins, collected, graph, builtins: options.builtins };
}

/**
 * The config, found and validated; from the config cache when nothing that decided it has changed, which
 * spares loading cosmiconfig, the YAML parser and zod (`config/cache.ts`).
 */
async function readConfig(options: SessionOptions): Promise<CachedConfig> {
  if (options.defaultsOnly) {
    const loaded = { file: undefined, dir: options.cwd, raw: undefined, source: undefined, sourcePath: [] };
    return { loaded, parsed: await validate(loaded, options.builtins) };
  }
  const key = {
    cwd: options.cwd,
    home: options.home,
    env: options.env,
    ...(options.configPath === undefined ? {} : { explicit: path.resolve(options.cwd, options.configPath) }),
  };
  const hit = options.noCache ? undefined : readConfigCache(key);
  if (hit) return hit;
  const before = options.noCache ? undefined : signaturesBefore(key);
  const { findConfig } = await import('./config/load.ts');
  const explicit = options.configPath === undefined ? {} : { explicit: options.configPath };
  const loaded = await findConfig({ cwd: options.cwd, home: options.home, env: options.env, ...explicit });
  const found = { loaded, parsed: await validate(loaded, options.builtins) };
  if (before) writeConfigCache(key, before, found);
  return found;
}

async function validate(
  loaded: LoadedConfig,
  builtins: readonly AscBuiltinPlugin[],
): Promise<AscParsedConfig> {
  const [{ validateConfig }, { loadSchemas }] = await Promise.all([
    import('./config/validate.ts'),
    import('./builtins.ts'),
  ]);
  return validateConfig(loaded, await loadSchemas(builtins));
}
