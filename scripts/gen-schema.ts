// npm run schema: write schema.json (the JSON Schema of .ascrc.yaml) from the one zod schema the CLI
// validates with, built-in plugins' options included. A test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPlugins } from '../plugins/index.ts';
import { loadSchemas } from '../src/core/builtins.ts';
import { buildJsonSchema } from '../src/core/config/schema.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(
  path.join(root, 'schema.json'),
  `${JSON.stringify(buildJsonSchema(await loadSchemas(builtinPlugins)), null, 2)}\n`,
);
console.log('wrote schema.json');
