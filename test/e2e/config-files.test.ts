import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

const INDEX = path.join(ROOT, 'dist', 'index.js');
const task = (id: string) => ({ id, check: `test -f ${id}`, apply: `touch ${id}` });
const ids = async (cwd: string, args: string[] = []) => {
  const result = await sandbox.asc(['list', '--json', ...args], { cwd });
  expect(result.stderr).toBe('');
  const doc = JSON.parse(result.stdout) as { config: string; tasks: { id: string }[] };
  return { config: doc.config, ids: doc.tasks.map((t) => t.id) };
};

describe('where the config comes from', () => {
  it('asc.config.mjs and asc.config.ts with defineConfig from the package', async () => {
    const mjs = path.join(sandbox.home, 'mjs');
    await sandbox.write(
      'mjs/asc.config.mjs',
      `import { defineConfig } from ${JSON.stringify(INDEX)};\nexport default defineConfig({ plugins: {}, tasks: [${JSON.stringify(task('m.one'))}] });\n`,
    );
    expect(await ids(mjs)).toEqual({ config: path.join(mjs, 'asc.config.mjs'), ids: ['m.one'] });

    const ts = path.join(sandbox.home, 'ts');
    await sandbox.write(
      'ts/asc.config.ts',
      `import { defineConfig, type AscUserConfig } from ${JSON.stringify(INDEX)};\nconst tasks: AscUserConfig['tasks'] = [${JSON.stringify(task('t.one'))}];\nexport default defineConfig({ plugins: {}, tasks });\n`,
    );
    expect(await ids(ts)).toEqual({ config: path.join(ts, 'asc.config.ts'), ids: ['t.one'] });
  });

  it('package.json#asc, a parent folder, and the global ~/.config/asc/config.yaml, in that order', async () => {
    await sandbox.write(
      '.config/asc/config.yaml',
      `plugins: {}\ntasks:\n  - id: global.one\n    check: "true"\n    apply: "true"\n`,
    );
    const elsewhere = path.join(sandbox.root, 'elsewhere');
    await sandbox.write(path.join(elsewhere, 'x'), '');
    expect((await ids(elsewhere)).ids).toEqual(['global.one']);

    await sandbox.write(
      'repo/package.json',
      JSON.stringify({ name: 'r', asc: { plugins: {}, tasks: [task('pkg.one')] } }),
    );
    await sandbox.write('repo/deep/er/x', '');
    expect(await ids(path.join(sandbox.home, 'repo/deep/er'))).toEqual({
      config: path.join(sandbox.home, 'repo/package.json'),
      ids: ['pkg.one'],
    });
    const explicit = await sandbox.write(
      'other.yaml',
      `plugins: {}\ntasks:\n  - id: explicit.one\n    check: "true"\n    apply: "true"\n`,
    );
    expect((await ids(elsewhere, ['--config', explicit])).ids).toEqual(['explicit.one']);
  });

  it('a config module that throws is a configuration error naming the file (exit 2)', async () => {
    const cwd = path.join(sandbox.home, 'bad');
    await sandbox.write('bad/asc.config.mjs', `throw new Error('boom in config');\n`);
    const result = await sandbox.asc(['list'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/asc\.config\.mjs: could not load the config: boom in config/);
  });
});

describe('files of other tools in the project', () => {
  it('asc runs no .config/config.js (cosmiconfig’s meta config) and lets it move no search', async () => {
    const cwd = path.join(sandbox.home, 'other-tools');
    const marker = path.join(sandbox.root, 'meta-config-ran');
    // cosmiconfig's own factory would run this file (its "meta config") on every command.
    await sandbox.write(
      'other-tools/.config/config.js',
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); module.exports = { searchPlaces: ['evil.yaml'] };\n`,
    );
    await sandbox.write('other-tools/evil.yaml', `tasks:\n  - ${JSON.stringify(task('evil.one'))}\n`);
    await sandbox.write(
      'other-tools/.ascrc.yaml',
      `plugins: {}\ntasks:\n  - ${JSON.stringify(task('own.one'))}\n`,
    );
    expect(await ids(cwd)).toEqual({ config: path.join(cwd, '.ascrc.yaml'), ids: ['own.one'] });
    expect(existsSync(marker)).toBe(false);
  });
});
