import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shortTempDir } from './short-tmp.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.cjs');

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /**
   * Kill the program after this long (a safety net; tests must not depend on it). @defaultValue 60000 for
   * `asc`, `start` and `exec`; none for `spawn`, whose services (an ssh-agent, Colima's daemon) live until
   * stopped or `cleanup()`, however long a loaded machine makes the test.
   */
  timeoutMs?: number;
  /** Keep stdin open for `Running.write` (spawn/start only); it is closed when the process ends. */
  keepStdinOpen?: boolean;
}

/**
 * A simulated Mac for end-to-end tests: a temporary HOME, a `bin/` first on PATH for fakes of the
 * Mac-only tools, TMPDIR inside the sandbox. `run` starts the built CLI (`dist/cli.cjs`) as a subprocess.
 */
export interface Sandbox {
  /** The sandbox root; everything the test makes lives under it. */
  readonly root: string;
  /** The simulated user's HOME. */
  readonly home: string;
  /** First on PATH: put fakes here with `addBin`. */
  readonly bin: string;
  readonly tmp: string;
  /** The environment every command gets (HOME, PATH, TMPDIR, NO_COLOR, CI unset). */
  readonly env: Record<string, string>;
  /** Run `asc <args>` (the built CLI). */
  asc(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Start `asc <args>` in the background: wait for output lines, signal it, await its result. */
  start(args: readonly string[], options?: RunOptions): Running;
  /** Start any program in the background with the sandbox's environment: a service, no timeout by default. */
  spawn(file: string, args: readonly string[], options?: RunOptions): Running;
  /** Run any program with the sandbox's environment. */
  exec(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Write a file under the sandbox (relative paths are relative to HOME); parents are created. */
  write(relative: string, content: string, mode?: number): Promise<string>;
  read(relative: string): Promise<string>;
  /** Put an executable into bin/. */
  addBin(name: string, content: string): Promise<string>;
  /** Every file under the root (but tmp/), with mode and content: equal snapshots mean nothing changed. */
  snapshot(): Promise<Map<string, string>>;
  /** Remove everything. */
  cleanup(): Promise<void>;
}

export interface Running {
  readonly pid: number;
  /** Resolves when stdout or stderr (so far, or later) matches. */
  waitFor(pattern: RegExp): Promise<void>;
  signal(name: NodeJS.Signals): void;
  /** Type into its stdin (with `keepStdinOpen`). */
  write(text: string): void;
  readonly result: Promise<RunResult>;
}

export async function createSandbox(): Promise<Sandbox> {
  // Short whatever $TMPDIR is: the sockets the tests bind deep in it must fit macOS's sun_path.
  const root = await shortTempDir('asc-sandbox-');
  const home = path.join(root, 'home');
  const bin = path.join(root, 'bin');
  const tmp = path.join(root, 'tmp');
  await Promise.all([mkdir(home), mkdir(bin), mkdir(tmp)]);
  const env: Record<string, string> = {
    HOME: home,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    TMPDIR: tmp,
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    USER: process.env.USER ?? 'root',
  };
  const children = new Set<Running>();
  const track = (running: Running) => {
    children.add(running);
    void running.result.finally(() => children.delete(running));
    return running;
  };
  const resolve = (relative: string) => (path.isAbsolute(relative) ? relative : path.join(home, relative));

  const spawnIn = (file: string, args: readonly string[], options: RunOptions, limit: number | undefined) =>
    track(
      startProcess(
        file,
        args,
        { ...options, cwd: options.cwd ?? home, env: { ...env, ...options.env } },
        limit,
      ),
    );
  const run = (file: string, args: readonly string[], options: RunOptions = {}) =>
    spawnIn(file, args, options, options.timeoutMs ?? 60_000);
  const exec = (file: string, args: readonly string[], options: RunOptions = {}) =>
    run(file, args, options).result;

  return {
    root,
    home,
    bin,
    tmp,
    env,
    asc: (args, options) => exec(process.execPath, [CLI, ...args], options),
    start: (args, options) => run(process.execPath, [CLI, ...args], options),
    spawn: (file, args, options = {}) => spawnIn(file, args, options, options.timeoutMs),
    exec,
    async write(relative, content, mode) {
      const file = resolve(relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      if (mode !== undefined) await chmod(file, mode);
      return file;
    },
    read: (relative) => readFile(resolve(relative), 'utf8'),
    async addBin(name, content) {
      const file = path.join(bin, name);
      await writeFile(file, content, { mode: 0o755 });
      return file;
    },
    snapshot: () => snapshotTree(root, new Set([tmp])),
    async cleanup() {
      // A test that failed half-way may leave a CLI running: it must not outlive the sandbox.
      for (const child of children) child.signal('SIGKILL');
      await Promise.all([...children].map((child) => child.result.catch(() => undefined)));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function startProcess(
  file: string,
  args: readonly string[],
  options: RunOptions & { cwd: string; env: Record<string, string | undefined> },
  limit: number | undefined,
): Running {
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const child = spawn(file, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(stdout) || watcher.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  const result = new Promise<RunResult>((resolvePromise, reject) => {
    let killed = false;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, limit);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Said on stderr, so that a failed assertion tells the safety net's kill from the program's own exit.
      if (killed) stderr += `\n[sandbox: ${file} killed after its timeoutMs of ${limit} ms]\n`;
      resolvePromise({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
  // A program that exits without reading stdin makes this write fail with EPIPE: that is fine.
  child.stdin.on('error', () => {});
  if (options.keepStdinOpen) child.stdin.write(options.input ?? '');
  else child.stdin.end(options.input ?? '');
  return {
    pid: child.pid ?? -1,
    result,
    signal: (name) => child.kill(name),
    write: (text) => child.stdin.write(text),
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        watchers.push({ pattern, resolve });
        check();
        void result.then((done) =>
          reject(
            new Error(
              `process ended (exit ${done.exitCode}) before ${pattern}: ${done.stdout}${done.stderr}`,
            ),
          ),
        );
      }),
  };
}

async function snapshotTree(root: string, skip: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (skip.has(full)) continue;
      const info = await stat(full).catch(() => undefined);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        out.set(`${rel}/`, (info?.mode ?? 0).toString(8));
        await walk(full);
      } else if (entry.isFile()) {
        out.set(rel, `${(info?.mode ?? 0).toString(8)} ${await readFile(full, 'base64')}`);
      } else {
        out.set(rel, entry.isSymbolicLink() ? 'symlink' : 'special');
      }
    }
  }
  await walk(root);
  return out;
}
