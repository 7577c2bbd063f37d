// asc's own code cache (src/code-cache.ts, decision 48): V8's code for asc's chunks, made by a command's
// first run and used by the next. A shortcut only: whatever state the cache is in, a run gives the same
// result as with no cache at all, and code from a folder another user could write is never run.
import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
let cwd: string;
beforeEach(async () => {
  sandbox = await createSandbox();
  cwd = path.dirname(
    await sandbox.write(
      'project/.ascrc.yaml',
      'plugins: {}\ntasks:\n  - id: t.one\n    check: "true"\n    apply: "true"\n  - id: t.two\n    needs: [t.one]\n    check: "test -n x"\n    apply: "true"\n',
    ),
  );
});
afterEach(async () => {
  await sandbox.cleanup();
});

/** The `run` set of the cache, for the Node running the tests. */
const runSet = () =>
  path.join(
    sandbox.tmp,
    `asc-compile-cache-${process.getuid?.()}`,
    `v8-${process.version}-${process.arch}`,
    'run',
  );

/** Each cache file's inode: a file written again (atomically, by a rename) gets a new one. */
async function inodes(folder: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const name of await readdir(folder)) found.set(name, (await stat(path.join(folder, name))).ino);
  return found;
}

/** `asc run all --json`, without the times in it. */
async function run() {
  const result = await sandbox.asc(['run', 'all', '--json'], { cwd });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout, (key, value) => (/durationMs$/i.test(key) ? undefined : value)) as unknown;
}

describe("asc's code cache", () => {
  it("is made by a command's first run, in a folder only the user may enter, and used as it is by the next", async () => {
    const first = await run();
    expect(first).toMatchObject({ exitCode: 0, tasks: [{ id: 't.one' }, { id: 't.two' }] });
    const folder = runSet();
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    const made = await inodes(folder);
    expect([...made.keys()].some((name) => name.startsWith('main-') && name.endsWith('.v8'))).toBe(true);
    expect(made.size).toBeGreaterThan(10);
    expect(await run()).toEqual(first);
    // V8 took every file: none was refused and written again.
    expect(await inodes(folder)).toEqual(made);
    // Another command has its own set, made by its own first run.
    expect((await sandbox.asc(['list'], { cwd })).exitCode).toBe(0);
    expect(await readdir(path.dirname(folder))).toEqual(expect.arrayContaining(['run', 'list']));
  });

  it('a corrupt file is compiled past and replaced; the run is the same', async () => {
    const first = await run();
    const folder = runSet();
    for (const name of await readdir(folder)) await writeFile(path.join(folder, name), 'not V8 code');
    const before = await inodes(folder);
    expect(await run()).toEqual(first);
    const after = await inodes(folder);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, ino] of after) expect(ino, name).not.toBe(before.get(name));
    expect(await inodes(folder)).toEqual(after);
    expect(await run()).toEqual(first);
    expect(await inodes(folder)).toEqual(after);
  });

  it('a folder others may enter is neither read nor written', async () => {
    const first = await run();
    const folder = runSet();
    for (const name of await readdir(folder)) await writeFile(path.join(folder, name), 'not V8 code');
    await chmod(folder, 0o755);
    const before = await inodes(folder);
    expect(await run()).toEqual(first);
    expect(await inodes(folder)).toEqual(before);
  });

  it('a cache that cannot be written leaves the run as it is', async () => {
    // The cache's root is a file: no folder can be made in it.
    await writeFile(path.join(sandbox.tmp, `asc-compile-cache-${process.getuid?.()}`), 'a file');
    const result = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('two first runs at once both run, and leave a cache the next run uses as it is', async () => {
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toEqual(b);
    const folder = runSet();
    expect((await readdir(folder)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const made = await inodes(folder);
    expect(await run()).toEqual(a);
    expect(await inodes(folder)).toEqual(made);
  });
});
