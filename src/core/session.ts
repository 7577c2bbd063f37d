import { type Collected, collectTasks } from './collect.ts';
import { findConfig, type LoadedConfig } from './config/load.ts';
import { type AscParsedConfig, validateConfig } from './config/validate.ts';
import { buildGraph, type TaskGraph } from './graph.ts';
import { type EnabledPlugin, resolvePlugins } from './plugins.ts';
import type { AscPlugin, AscResolvedConfig } from './types.ts';

/** Everything a command needs before it runs anything: config → plugins → VM spec → tasks → graph. */
export interface AscSession {
  loaded: LoadedConfig;
  parsed: AscParsedConfig;
  config: AscResolvedConfig;
  plugins: EnabledPlugin[];
  collected: Collected;
  graph: TaskGraph;
  builtins: readonly AscPlugin<unknown>[];
}

export interface SessionOptions {
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** Ignore every config file: the built-in defaults (doctor falls back to them when the config is broken). */
  defaultsOnly?: boolean;
  builtins: readonly AscPlugin<unknown>[];
}

export async function prepareSession(options: SessionOptions): Promise<AscSession> {
  const explicit = options.configPath === undefined ? {} : { explicit: options.configPath };
  const loaded: LoadedConfig = options.defaultsOnly
    ? { file: undefined, dir: options.cwd, raw: undefined, source: undefined, sourcePath: [] }
    : await findConfig({ cwd: options.cwd, home: options.home, env: options.env, ...explicit });
  const parsed = validateConfig(loaded, options.builtins);
  const config: AscResolvedConfig = Object.freeze({
    instance: parsed.instance,
    file: loaded.file,
    dir: loaded.dir,
  });
  const plugins = await resolvePlugins(parsed, loaded, options.builtins, options.home);
  const collected = collectTasks(plugins, parsed, config, options.home);
  const graph = buildGraph(collected);
  return { loaded, parsed, config, plugins, collected, graph, builtins: options.builtins };
}
