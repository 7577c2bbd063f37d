// Type tests: tsc checks the expectTypeOf and @ts-expect-error lines (npm test type-checks every test file);
// vitest runs the rest.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { builtinPlugins } from '../../plugins/index.ts';
import { defineConfig, definePlugin, drift, ok, skip } from './define.ts';
import type { AscBuiltinPlugin, AscCheckResult, AscPlugin, AscTaskContext } from './types.ts';

describe('definePlugin and defineConfig', () => {
  it('definePlugin infers the options every hook receives from the schema', () => {
    const plugin = definePlugin({
      name: 'typed',
      options: z.object({ socket: z.string().default('~/x.sock'), retries: z.number().int().default(3) }),
      vm(spec, options) {
        expectTypeOf(options).toEqualTypeOf<{ socket: string; retries: number }>();
        spec.env.SOCKET = options.socket;
      },
      tasks: (options) => {
        expectTypeOf(options.retries).toEqualTypeOf<number>();
        return [
          {
            id: 'works',
            check: async (t) => {
              expectTypeOf(t).toEqualTypeOf<AscTaskContext>();
              return options.retries > 0 ? ok() : drift('no retries');
            },
            apply: async () => 'what it did',
          },
        ];
      },
      doctor: () => [{ id: 'row', run: async () => ({ status: 'ok', message: 'fine' }) }],
    });
    expectTypeOf(plugin).toEqualTypeOf<AscPlugin<{ socket: string; retries: number }>>();
    expect(plugin.name).toBe('typed');
  });

  it('the check results are a closed set', () => {
    expectTypeOf(ok()).toMatchTypeOf<AscCheckResult>();
    expectTypeOf(drift('x', 'diff')).toMatchTypeOf<AscCheckResult>();
    expectTypeOf(skip('not a Mac')).toMatchTypeOf<AscCheckResult>();
    // @ts-expect-error a check must return ok(), drift() or skip(), not a boolean
    const wrong: AscCheckResult = true;
    expect(wrong).toBe(true);
  });

  it('defineConfig checks the keys a user writes in asc.config.ts', () => {
    const config = defineConfig({
      instance: 'default',
      plugins: { lima: { cpus: 4 }, nixos: false },
      tasks: [{ id: 'docs.guide', check: 'true', apply: 'true', timeout: '30s' }],
    });
    expect(config.instance).toBe('default');
    // @ts-expect-error a misspelt top-level key is a type error
    defineConfig({ instanse: 'default' });
    // @ts-expect-error a task needs check and apply
    defineConfig({ tasks: [{ id: 'a.b', check: 'true' }] });
  });

  it('the built-in plugins are entries without a cast, each loading its schema and its plugin', async () => {
    expectTypeOf(builtinPlugins).toEqualTypeOf<readonly AscBuiltinPlugin[]>();
    expect(builtinPlugins.map((plugin) => plugin.name)).toContain('lima');
    for (const entry of builtinPlugins) {
      const plugin: AscPlugin<unknown> = await entry.load();
      // The entry is what every command knows of the plugin; the plugin itself says the same.
      expect(plugin.name).toBe(entry.name);
      expect(plugin.description).toBe(entry.description);
      expect(plugin.defaultEnabled).toBe(entry.defaultEnabled);
      expect(plugin.optIn).toBe(entry.optIn);
      // The schema lives in the entry alone: the plugin's code does not load zod for it.
      expect(plugin.options).toBeUndefined();
      expect((await entry.options()).safeParse({}).success || entry.optIn).toBeTruthy();
    }
  });
});
