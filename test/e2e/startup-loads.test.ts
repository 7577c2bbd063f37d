// A command loads only what it uses (docs/decisions.md, decision 42): which of dist's files a run
// loads, and what their source maps say is inside them. Not a time: the modules themselves.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

/** Every source (a package as `npm:<name>`, or asc's own file) inside the dist files one run loads. */
async function loadedSources(config: string, args = ['list', '--json']): Promise<Set<string>> {
  const file = await sandbox.write('project/.ascrc.yaml', config);
  const past = new Date(Date.now() - 3_600_000);
  const { utimes } = await import('node:fs/promises');
  await utimes(file, past, past);
  // The chunks are CommonJS: Node's require cache, as the run exits, holds every one it loaded.
  const log = path.join(sandbox.tmp, 'loaded.txt');
  const preload = path.join(sandbox.tmp, 'loaded.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n')));\n`,
  );
  const cwd = path.dirname(file);
  // The first run fills the config cache; the second is the one a user meets every day.
  for (const round of [1, 2]) {
    writeFileSync(log, '');
    const run = await sandbox.exec(process.execPath, ['--require', preload, CLI, ...args], { cwd });
    expect(run.exitCode, `${round}: ${run.stderr}`).toBe(0);
  }
  const sources = new Set<string>();
  for (const loaded of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    if (!loaded.startsWith(path.dirname(CLI))) continue;
    const map = JSON.parse(readFileSync(`${loaded}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
      sources.add(pkg ? `npm:${pkg[1]}` : source.replace(/^(\.\.\/)+/, ''));
    }
  }
  return sources;
}

describe('a command loads only what it uses', () => {
  it('with the config in the cache, no config search, YAML parser, zod or plugin code', async () => {
    const sources = await loadedSources('plugins: {}\ntasks: []\n');
    expect(sources.has('src/core/config/cache.ts')).toBe(true);
    for (const heavy of ['npm:cosmiconfig', 'npm:yaml', 'npm:js-yaml', 'npm:zod', 'npm:execa']) {
      expect(sources.has(heavy), heavy).toBe(false);
    }
    expect(
      [...sources].filter((source) => source.startsWith('plugins/') && source !== 'plugins/index.ts'),
    ).toEqual([...sources].filter((source) => /^plugins\/[a-z]+\/entry\.ts$/.test(source)));
  });

  it('a zero-task run loads no commander, no glob matcher and none of the built-ins it does not use', async () => {
    const sources = await loadedSources('plugins: {}\ntasks: []\n', ['run', 'all']);
    expect(sources.has('npm:picomatch')).toBe(false);
    // `run all` is read by asc's quick reader: commander stays unloaded (src/commands/argv.ts).
    expect(sources.has('src/commands/argv.ts')).toBe(true);
    expect(sources.has('npm:commander')).toBe(false);
    // Its code comes in five files: the CLI entry, what it loads at once, rolldown's helpers, the rest of
    // the CLI (main.ts, loaded through asc's code cache), and the engine every run, plan and status loads
    // (rolldown.config.ts); Node pays for each file, whatever its size.
    const files = readFileSync(path.join(sandbox.tmp, 'loaded.txt'), 'utf8')
      .split('\n')
      .filter((loaded) => loaded.startsWith(path.dirname(CLI)))
      .map((loaded) => path.basename(loaded).replace(/-[\w-]{8}\.cjs$/, '.cjs'))
      .sort();
    expect(files).toEqual(['cli.cjs', 'engine.cjs', 'main.cjs', 'rolldown-runtime.cjs', 'start.cjs']);
    // Node's own modules, as Node lists them when the run exits (a CommonJS preload that reads only that).
    const list = path.join(sandbox.tmp, 'builtins.txt');
    const preload = path.join(sandbox.tmp, 'builtins.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`,
    );
    const cwd = path.join(sandbox.home, 'project');
    const run = await sandbox.exec(process.execPath, ['--require', preload, CLI, 'run', 'all'], { cwd });
    expect(run.exitCode, run.stderr).toBe(0);
    const builtins = readFileSync(list, 'utf8').split('\n');
    for (const unused of [
      'NativeModule crypto',
      'NativeModule timers/promises',
      'NativeModule internal/fs/rimraf',
      // Its file handles bring readline, the file watchers and directory streams: the run lock, taken by
      // every run, is written with the synchronous calls (src/core/lock.ts).
      'NativeModule fs/promises',
      // A run that spawns nothing; its words go to the pipes' descriptors, with no socket built for them.
      'NativeModule child_process',
      'NativeModule net',
    ]) {
      expect(builtins, unused).not.toContain(unused);
    }
    // No ES module: the CLI's chunks are CommonJS. Node's ES module loader starts no job and translates no
    // module for them, beyond what Node loads to run an empty CommonJS file (on Node 22, nothing; Node 26
    // loads its whole ES module loader at every start).
    const empty = path.join(sandbox.tmp, 'empty.cjs');
    writeFileSync(empty, '');
    expect((await sandbox.exec(process.execPath, ['--require', preload, empty])).exitCode).toBe(0);
    const own = new Set(readFileSync(list, 'utf8').split('\n'));
    const jobs = (names: string[]) =>
      names.filter((name) => /internal\/modules\/esm\/(module_job|translators)$/.test(name));
    expect(jobs(builtins).filter((name) => !own.has(name))).toEqual([]);
    // A glob, as a target or a need, loads the matcher, and matches.
    await sandbox.write(
      'project/.ascrc.yaml',
      'tasks:\n  - id: g.one\n    check: "true"\n    apply: "true"\n  - id: g.two\n    needs: ["g.o*"]\n    check: "true"\n    apply: "true"\n',
    );
    const glob = await sandbox.exec(process.execPath, [CLI, 'plan', 'g.t*', '--json'], { cwd });
    expect(glob.exitCode, glob.stderr).toBe(0);
    const ids = (JSON.parse(glob.stdout) as { tasks: { id: string }[] }).tasks.map((task) => task.id);
    expect(ids).toEqual(['g.one', 'g.two']);
  });

  it('a plugin that is off leaves its code unloaded: lima alone loads no Lua parser, plist or forward', async () => {
    const sources = await loadedSources('plugins:\n  lima: {}\n');
    expect(sources.has('plugins/lima/index.ts')).toBe(true);
    const others = [...sources].filter(
      (source) =>
        /^plugins\/(wezterm|launchd|docker|onepassword|nixos)\//.test(source) &&
        !source.endsWith('/entry.ts'),
    );
    expect(others).toEqual([]);
    for (const unused of [
      'npm:web-tree-sitter',
      'npm:plist',
      'npm:@xmldom/xmldom',
      'plugins/lima/forward.ts',
    ]) {
      expect(sources.has(unused), unused).toBe(false);
    }
  });
});
