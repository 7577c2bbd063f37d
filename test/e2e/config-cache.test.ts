// The config cache (src/core/config/cache.ts): a config found, read and validated once is taken from the
// cache while nothing that decided it changed, and every change, another asc, a corrupt entry, a folder
// asc cannot use and two runs at once give what a run without the cache gives. Two builds of asc run in
// turns in one folder each keep their entry, and writes prune the cache to a bounded size.
//
// A hit is made visible by editing the entry: its validated config gets a task the file does not have.
// A run that shows that task used the entry; a run that must not use it shows the file's tasks.
import { chmod, chown, cp, mkdir, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { CLI, createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';
import { runsAsRoot, SETPRIV, unprivileged, unprivilegedAvailable } from '../harness/unprivileged.ts';

let sandbox: Sandbox;
let project: string;
let config: string;
beforeEach(async () => {
  sandbox = await createSandbox();
  project = path.join(sandbox.home, 'project');
  config = await write('one');
});
afterEach(async () => {
  await sandbox.cleanup();
});

/** The project's .ascrc.yaml with one task, its mtime an hour back (a config written just now is not cached). */
async function write(id: string, file = path.join(project, '.ascrc.yaml')): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `plugins: {}\ntasks:\n  - id: t.${id}\n    check: "true"\n    apply: "true"\n`);
  const past = new Date(Date.now() - 3_600_000);
  await utimes(file, past, past);
  return file;
}

/** The task ids `asc list --json` shows, and its exit code. */
async function ids(args: string[] = [], run = sandbox.asc): Promise<string[]> {
  const result = await run(['list', '--json', ...args], { cwd: project });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return (JSON.parse(result.stdout) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
}

const cacheDir = (uid = process.getuid?.() ?? 'user') => path.join(sandbox.tmp, `asc-config-cache-${uid}`);

async function entries(dir = cacheDir()): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.json'));
}

/** Give every entry in the cache a task the config file does not have; returns how many it edited. */
async function tamper(edit: (entry: Record<string, unknown>) => void = () => {}, dir = cacheDir()) {
  const names = await entries(dir);
  for (const name of names) {
    const file = path.join(dir, name);
    const entry = JSON.parse(await readFile(file, 'utf8'));
    entry.parsed.tasks.push({ id: 'from.cache', check: 'true', apply: 'true', timeout: '10m' });
    edit(entry);
    await writeFile(file, JSON.stringify(entry));
  }
  return names.length;
}

describe('the config cache', () => {
  it('is used while the config is unchanged, and --no-cache bypasses it', async () => {
    expect(await ids()).toEqual(['t.one']);
    expect(await tamper()).toBe(1);
    expect(await ids()).toEqual(['t.one', 'from.cache']);
    expect(await ids(['--no-cache'])).toEqual(['t.one']);
  });

  it('a changed config file is read again, even with the same size and mtime', async () => {
    await ids();
    await tamper();
    // Same length, same mtime: only the ctime (and content) tell.
    await write('two');
    expect(await ids()).toEqual(['t.two']);
    expect(await ids()).toEqual(await ids(['--no-cache']));
  });

  it('a nearer config that appears, or one that goes, is found as without the cache', async () => {
    await ids();
    await tamper();
    await write('near', path.join(project, 'sub', '.ascrc.yaml'));
    const sub = await sandbox.asc(['list', '--json'], { cwd: path.join(project, 'sub') });
    expect(JSON.parse(sub.stdout).tasks.map((t: { id: string }) => t.id)).toEqual(['t.near']);
    // package.json comes first among the search places: with an `asc` key, it is the config.
    const pkg = path.join(project, 'package.json');
    await writeFile(pkg, JSON.stringify({ name: 'p', asc: { plugins: {}, tasks: [] } }));
    expect(await ids()).toEqual([]);
    await tamper();
    await rm(pkg);
    await rm(config);
    const none = await sandbox.asc(['list', '--json'], { cwd: project });
    expect(JSON.parse(none.stdout).config).toBeNull();
  });

  it('an entry from another asc version or build is not trusted', async () => {
    await ids();
    await tamper((entry) => {
      entry.version = '0.0.0-other';
    });
    expect(await ids()).toEqual(['t.one']);
    await tamper((entry) => {
      entry.build = 'another build';
    });
    expect(await ids()).toEqual(['t.one']);
  });

  it('two builds of asc run in turns in one folder each keep their own entry', async () => {
    // Another install of the same version (a global asc and the project's own): its own copy of dist.
    const other = path.join(sandbox.root, 'other-asc');
    await cp(path.dirname(CLI), path.join(other, 'dist'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(other, 'node_modules'));
    const otherAsc: typeof sandbox.asc = (args, options) =>
      sandbox.exec(process.execPath, [path.join(other, 'dist', 'cli.cjs'), ...args], options);
    expect(await ids()).toEqual(['t.one']);
    expect(await ids([], otherAsc)).toEqual(['t.one']);
    await tamper();
    expect(await ids()).toEqual(['t.one', 'from.cache']);
    expect(await ids([], otherAsc)).toEqual(['t.one', 'from.cache']);
    expect(await entries()).toHaveLength(2);
  });

  it("a folder keeps the entries of the last three builds to write one; other folders' stay", async () => {
    await ids();
    const [name] = await entries();
    const folder = name!.slice(0, 16);
    // Entries of three other builds, and one of an asc that named entries by the folder alone, each older
    // than the next; and an old entry of another folder.
    const olds = [`${folder}.json`, ...[1, 2, 3].map((i) => `${folder}-${String(i).padStart(16, '0')}.json`)];
    const elsewhere = `${'f'.repeat(16)}-${'0'.repeat(16)}.json`;
    for (const [i, old] of [elsewhere, ...olds].entries()) {
      await writeFile(path.join(cacheDir(), old), '{}');
      const when = new Date(Date.now() - (10 - i) * 3_600_000);
      await utimes(path.join(cacheDir(), old), when, when);
    }
    await write('two');
    expect(await ids()).toEqual(['t.two']);
    expect((await entries()).sort()).toEqual([elsewhere, ...olds.slice(2), name].sort());
  });

  it('the cache holds at most 256 entries: past them, the oldest written go first', async () => {
    await ids();
    const [name] = await entries();
    const others = Array.from(
      { length: 300 },
      (_, i) => `${i.toString(16).padStart(16, '0')}-${'0'.repeat(16)}.json`,
    );
    for (const [i, other] of others.entries()) {
      await writeFile(path.join(cacheDir(), other), '{}');
      const when = new Date(Date.now() - (400 - i) * 60_000);
      await utimes(path.join(cacheDir(), other), when, when);
    }
    await write('two');
    expect(await ids()).toEqual(['t.two']);
    const left = await entries();
    expect(left.length).toBeLessThanOrEqual(256);
    expect(left).toContain(name);
    expect(left).toContain(others.at(-1));
    expect(left).not.toContain(others[0]);
  });

  it('a corrupt entry is rebuilt', async () => {
    await ids();
    const [name] = await entries();
    await writeFile(path.join(cacheDir(), name!), '{"version": "0.1.0", "signatures": [[');
    expect(await ids()).toEqual(['t.one']);
    // Rebuilt: a whole entry again, which the next run uses.
    JSON.parse(await readFile(path.join(cacheDir(), name!), 'utf8'));
    await tamper();
    expect(await ids()).toEqual(['t.one', 'from.cache']);
  });

  it('a cache folder others may write to is not used', async () => {
    await ids();
    await tamper();
    await chmod(cacheDir(), 0o777);
    expect(await ids()).toEqual(['t.one']);
  });

  it('a cache folder that is a file is only a slower run', async () => {
    await writeFile(cacheDir(), 'not a folder');
    expect(await ids()).toEqual(['t.one']);
    expect(await ids()).toEqual(['t.one']);
  });

  const skip = skipUnless(unprivilegedAvailable(), SETPRIV, 'apt-get install util-linux');
  it.skipIf(skip)('a cache folder asc may not read is only a slower run', async () => {
    // As nobody (setpriv) when the tests run as root, for whom mode 000 means nothing.
    const uid = runsAsRoot ? 65534 : (process.getuid?.() ?? 0);
    await Promise.all([sandbox.root, sandbox.home, project].map((dir) => chmod(dir, 0o755)));
    await chmod(sandbox.tmp, 0o1777);
    const dir = cacheDir(uid);
    await mkdir(dir, { mode: 0o000 });
    if (runsAsRoot) await chown(dir, 65534, 65534);
    await chmod(dir, 0o000);
    const asNobody: typeof sandbox.asc = (args, options) =>
      sandbox.exec(...unprivileged(process.execPath, [CLI, ...args]), options);
    const ls = await sandbox.exec(...unprivileged('ls', [dir]), { cwd: project });
    expect(ls.exitCode, 'the CLI must not be able to read the folder').not.toBe(0);
    expect(await ids([], asNobody)).toEqual(['t.one']);
    expect(await ids([], asNobody)).toEqual(['t.one']);
  });

  it('two runs at once both give the config, and leave one whole entry', async () => {
    const [a, b] = await Promise.all([ids(), ids()]);
    expect(a).toEqual(['t.one']);
    expect(b).toEqual(['t.one']);
    expect(await entries()).toHaveLength(1);
    expect(await tamper()).toBe(1);
    expect(await ids()).toEqual(['t.one', 'from.cache']);
  });

  it('a config written just now is not cached (a rewrite in the same clock tick would go unseen)', async () => {
    await writeFile(config, `plugins: {}\ntasks:\n  - id: t.new\n    check: "true"\n    apply: "true"\n`);
    // "Just now" as the file system says it: a minute ahead, so that a slow machine does not age it past
    // the two seconds before asc looks.
    const soon = new Date(Date.now() + 60_000);
    await utimes(config, soon, soon);
    expect(await ids()).toEqual(['t.new']);
    expect(await entries()).toHaveLength(0);
  });

  it('an asc.config.mjs is never cached (it may import files no signature covers)', async () => {
    await rm(config);
    const mjs = path.join(project, 'asc.config.mjs');
    await writeFile(
      mjs,
      `export default { plugins: {}, tasks: [{ id: 'm.one', check: 'true', apply: 'true' }] };\n`,
    );
    const past = new Date(Date.now() - 3_600_000);
    await utimes(mjs, past, past);
    expect(await ids()).toEqual(['m.one']);
    expect(await entries()).toHaveLength(0);
  });
});
