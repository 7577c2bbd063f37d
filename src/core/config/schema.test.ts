import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../../plugins/index.ts';
import { loadSchemas } from '../builtins.ts';
import { buildConfigSchema, buildJsonSchema, parseDuration } from './schema.ts';

const schemas = await loadSchemas(builtinPlugins);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the config schema', () => {
  it('schema.json is generated from the zod schema (run `npm run schema` after changing it)', () => {
    const committed = JSON.parse(readFileSync(path.join(root, 'schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildJsonSchema(schemas))));
  });

  it('fills defaults and keeps what the user wrote', () => {
    const parsed = buildConfigSchema(schemas).parse({
      tasks: [{ id: 'a.b', check: 'true', apply: 'true' }],
    });
    expect(parsed.instance).toBe('default');
    expect(parsed.tasks[0]).toEqual({ id: 'a.b', check: 'true', apply: 'true', timeout: '10m' });
  });

  it('rejects instance names Lima would reject, including shell syntax', () => {
    const schema = buildConfigSchema(schemas);
    for (const bad of ['de fault', 'x;y', '$(id)', "a'b", '-lead', 'trail-', '']) {
      expect(schema.safeParse({ instance: bad }).success, bad).toBe(false);
    }
    for (const good of ['default', 'ascalon', 'my-vm.2', 'a_b']) {
      expect(schema.safeParse({ instance: good }).success, good).toBe(true);
    }
  });

  it('reads durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });
});
