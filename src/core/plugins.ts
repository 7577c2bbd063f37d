import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LoadedConfig } from './config/load.ts';
import type { AscParsedConfig } from './config/validate.ts';
import { AscError } from './errors.ts';
import { access } from './files/fs-promises.ts';
import type { AscBuiltinPlugin, AscPlugin } from './types.ts';

/** An enabled plugin with its validated options. */
export interface EnabledPlugin {
  plugin: AscPlugin<unknown>;
  options: unknown;
  /** The key under `plugins:` that enabled it (the module path for an external plugin). */
  key: string;
  builtin: boolean;
}

/** The config's own words about a config problem (the module loads the YAML parser: errors only). */
const issues = () => import('./config/validate.ts');

/**
 * The enabled plugins, in config order, each loaded (a built-in plugin's code loads only when it is
 * enabled). Without a config file, the built-ins that declare `defaultEnabled`. A key that is not a
 * built-in is loaded as a module path or package name.
 */
export async function resolvePlugins(
  parsed: AscParsedConfig,
  loaded: LoadedConfig,
  builtins: readonly AscBuiltinPlugin[],
  home: string,
): Promise<EnabledPlugin[]> {
  const byName = new Map(builtins.map((plugin) => [plugin.name, plugin]));
  if (loaded.file === undefined) {
    const on = builtins.filter((entry) => entry.defaultEnabled);
    return Promise.all(
      on.map(async (entry) => ({
        plugin: await entry.load(),
        options: (await entry.options()).parse({}),
        key: entry.name,
        builtin: true,
      })),
    );
  }
  const enabled: EnabledPlugin[] = [];
  for (const [key, value] of Object.entries(parsed.plugins as Record<string, unknown>)) {
    if (value === false || value === undefined) continue;
    const entry = byName.get(key);
    if (entry) {
      if (entry.optIn && (value === true || (value as { enabled?: unknown }).enabled !== true)) {
        const { configError } = await issues();
        throw configError(loaded, [
          {
            path: ['plugins', key, 'enabled'],
            message: `the ${key} plugin is opt-in: write \`${key}: { enabled: true }\` to turn it on, or \`${key}: false\` to keep it off`,
          },
        ]);
      }
      // `true` takes the defaults, checked like any value: a required option is a config error, not a crash.
      const options =
        value === true
          ? (await issues()).validatePluginOptions(loaded, key, await entry.options(), {})
          : value;
      enabled.push({ plugin: await entry.load(), options, key, builtin: true });
      continue;
    }
    const plugin = await importPlugin(key, loaded, builtins, home);
    const raw = value === true ? {} : value;
    const options = plugin.options
      ? (await issues()).validatePluginOptions(loaded, key, plugin.options, raw)
      : raw;
    enabled.push({ plugin, options, key, builtin: false });
  }
  const seen = new Map<string, string>();
  for (const { plugin, key } of enabled) {
    const other = seen.get(plugin.name);
    if (other !== undefined) {
      const { formatPath } = await issues();
      throw new AscError(
        `${loaded.file}: ${formatPath(['plugins', key])} and ${formatPath(['plugins', other])} are both named "${plugin.name}"`,
        {
          code: 'E_PLUGIN_INVALID',
          hint: 'enable each plugin once; plugin names must be unique',
        },
      );
    }
    seen.set(plugin.name, key);
  }
  return enabled;
}

async function importPlugin(
  key: string,
  loaded: LoadedConfig,
  builtins: readonly AscBuiltinPlugin[],
  home: string,
): Promise<AscPlugin<unknown>> {
  const where = `${loaded.file}: ${(await issues()).formatPath(['plugins', key])}`;
  const isPath = /^(\.{1,2}\/|\/|~\/)/.test(key);
  let url: string;
  try {
    url = await resolveModule(key, isPath, loaded.dir, home);
  } catch {
    const names = builtins.map((plugin) => plugin.name).join(', ');
    throw new AscError(`${where}: unknown plugin "${key}"`, {
      code: 'E_PLUGIN_NOT_FOUND',
      hint: isPath
        ? `no module at ${key} (relative to ${loaded.dir})`
        : `built-in plugins are: ${names || '(none)'}; an external plugin is named by path (./my-plugin.mjs) or package name`,
    });
  }
  const resolved = url.startsWith('file:') ? fileURLToPath(url) : url;
  let module: Record<string, unknown>;
  try {
    const { importFile } = await import('./import-file.ts');
    module = await importFile(url);
  } catch (error) {
    throw new AscError(`${where}: could not load ${resolved}: ${(error as Error).message}`, {
      code: 'E_PLUGIN_INVALID',
      cause: error,
    });
  }
  let candidate = module.default ?? module.plugin;
  if (typeof candidate === 'function') candidate = (candidate as () => unknown)();
  const plugin = candidate as Partial<AscPlugin<unknown>> | undefined;
  if (!plugin || typeof plugin.name !== 'string' || typeof plugin.tasks !== 'function') {
    throw new AscError(`${where}: ${resolved} does not export a plugin`, {
      code: 'E_PLUGIN_INVALID',
      hint: 'export default definePlugin({ name, tasks }) from the module',
    });
  }
  const problem = pluginNameProblem(plugin.name);
  if (problem) {
    throw new AscError(
      `${where}: the plugin in ${resolved} is named ${JSON.stringify(plugin.name)}: ${problem}`,
      {
        code: 'E_PLUGIN_INVALID',
        hint: 'rename it in the module (`name:`): lower-case letters, digits and "-", starting with a letter, e.g. "shell-env"',
      },
    );
  }
  if (builtins.some((builtin) => builtin.name === plugin.name)) {
    throw new AscError(
      `${where}: the plugin in ${resolved} is named "${plugin.name}", like a built-in plugin`,
      {
        code: 'E_PLUGIN_INVALID',
        hint: 'give the external plugin another name',
      },
    );
  }
  return plugin as AscPlugin<unknown>;
}

/**
 * Why a plugin name cannot be used, or undefined when it can. The name prefixes its task ids
 * (`<name>.<task>`), its records' file and its guest facts, and is a target on the command line, so it
 * is a plain word that no other target is: not `core` (asc's own rows and tasks), `all`, or a phase.
 */
export function pluginNameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    return 'a plugin name is lower-case letters, digits and "-", starting with a letter';
  }
  if (name === 'core') return '"core" is asc\'s own (core.node, core.pending-handlers)';
  if (name === 'all' || /^phase\d+$/.test(name)) return `"${name}" is a target of its own (asc run ${name})`;
  return undefined;
}

/**
 * A plugin's module URL. A path is taken as it is (relative to the config's folder). A package is
 * resolved as Node's ESM loader would from the config's folder, `exports` conditions included, so a
 * package published as ESM only (`exports` with just an `import` condition) is found.
 */
async function resolveModule(key: string, isPath: boolean, dir: string, home: string): Promise<string> {
  if (isPath) {
    const file = key.startsWith('~/') ? path.join(home, key.slice(2)) : path.resolve(dir, key);
    await access(file);
    return pathToFileURL(file).href;
  }
  const { resolve } = await import('import-meta-resolve');
  return resolve(key, pathToFileURL(path.join(dir, 'noop.js')).href);
}
