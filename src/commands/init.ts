import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isMap, type Pair, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { loadSchemas, type PluginSchema } from '../core/builtins.ts';
import { quote } from '../core/context/exec.ts';
import { readText, writeAtomic } from '../core/context/files.ts';
import { AscError } from '../core/errors.ts';
import { fileStamp, stateDir } from '../core/state.ts';
import { createIo, type GlobalOptions } from './io.ts';
import type { CommandEnv } from './session.ts';

/** `asc init`: the built-in defaults written out as a commented `.ascrc.yaml` to start from. */
export async function init(options: GlobalOptions & { force?: boolean }, ctx: CommandEnv): Promise<number> {
  const io = createIo(options, ctx.env);
  const file = path.resolve(ctx.cwd, options.config ?? '.ascrc.yaml');
  if (!options.force && (await readText(file)) !== undefined) {
    throw new AscError(`${file} already exists`, {
      code: 'E_USAGE',
      hint: 'edit it, or run `asc init --force` to replace it (the old one is backed up)',
    });
  }
  const content = starterConfig(await loadSchemas(ctx.builtins), schemaReference(path.dirname(file)));
  const backupDir = path.join(stateDir(ctx.home, ctx.env), 'backups', fileStamp());
  const { changed, backup } = await writeAtomic(file, content, { mode: 0o644 }, backupDir);
  io.out(
    changed
      ? `wrote ${file}${backup ? ` (the old one is in ${backup})` : ''}`
      : `${file} already holds the defaults`,
  );
  // A config written elsewhere is only found again with -c: say so in the commands we suggest.
  const flag = options.config ? ` -c ${quote([options.config])}` : '';
  io.out(`next: \`asc plan all${flag}\` shows what asc would change; \`asc run all${flag}\` does it`);
  if (io.json) io.document(JSON.stringify({ wrote: changed ? file : null, backup: backup ?? null }, null, 2));
  return 0;
}

/** The starter text: every built-in plugin's defaults, each key with its description as a comment. */
export function starterConfig(builtins: readonly PluginSchema[], schema: string): string {
  const doc = new Document({ instance: 'default', plugins: {}, tasks: [] });
  doc.commentBefore = [
    ` yaml-language-server: $schema=${schema}`,
    ' asc configuration. Reference: docs/reference/config.md',
    ' A plugin is enabled by its key under `plugins:`; `false` disables it.',
  ].join('\n');
  const root = doc.contents as YAMLMap;
  comment(root.items[0], 'The Lima instance. `lima` and `ssh lima-default` need "default".');
  const plugins = doc.get('plugins', true) as YAMLMap;
  const disabled: string[] = [];
  for (const plugin of builtins) {
    if (!plugin.defaultEnabled) {
      disabled.push(`${plugin.name}: false   # ${plugin.description ?? ''}, off unless enabled`);
      continue;
    }
    const defaults = plugin.options ? plugin.options.parse({}) : {};
    const node = doc.createNode(defaults);
    plugins.set(plugin.name, node);
    comment(plugins.items.at(-1), plugin.description ?? plugin.name);
    if (plugin.options && isMap(node)) describeKeys(node, plugin.options);
  }
  if (disabled.length) plugins.comment = disabled.map((line) => ` ${line}`).join('\n');
  comment(
    root.items[2],
    [
      'Taskfile-style tasks: `check` exits 0 when done, `apply` makes it so (both run with sh -c here).',
      'For example:',
      '  - id: cleanup.simple-template',
      '    phase: phase5',
      '    title: Remove the superseded ascalon-simple template',
      '    check: test ! -e templates/ascalon-simple.yaml',
      '    apply: git rm -q templates/ascalon-simple.yaml',
    ].join('\n'),
  );
  return doc.toString({ lineWidth: 0 });
}

function describeKeys(map: YAMLMap, schema: z.ZodType): void {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { description?: string }>;
  };
  for (const pair of map.items) {
    const key = String((pair.key as { value?: unknown }).value ?? pair.key);
    const description = json.properties?.[key]?.description;
    if (description) comment(pair, description);
  }
}

function comment(pair: Pair | undefined, text: string): void {
  const key = pair?.key as { commentBefore?: string } | undefined;
  if (key && typeof key === 'object') {
    key.commentBefore = text
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  }
}

/** schema.json of this installation, relative to the config's folder when it is below it. */
function schemaReference(configDir: string): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const schema = path.join(root, 'schema.json');
  const relative = path.relative(configDir, schema);
  return relative.startsWith('..') ? schema : `./${relative}`;
}
