import type { AscBuiltinPlugin, AscPlugin } from './types.ts';

/** A built-in plugin's name, description and schema: what the config schema is built from. */
export type PluginSchema = Pick<AscPlugin<unknown>, 'name' | 'description' | 'options' | 'defaultEnabled'>;

/** The built-in plugins' schemas, loaded (not their code). */
export function loadSchemas(builtins: readonly AscBuiltinPlugin[]): Promise<PluginSchema[]> {
  return Promise.all(
    builtins.map(async (entry) => ({
      name: entry.name,
      description: entry.description,
      ...(entry.defaultEnabled ? { defaultEnabled: true } : {}),
      options: await entry.options(),
    })),
  );
}
