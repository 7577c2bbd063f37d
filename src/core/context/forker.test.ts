import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execCommand } from './exec.ts';
import { forkCommand, MAX_LINE } from './forker.ts';

// The forker serves commands run with the process's own environment (as the CLI runs them).
const settings = { signal: new AbortController().signal, tools: {}, env: process.env };

function fork(file: string, args: readonly string[], options: { cwd?: string; signal?: AbortSignal } = {}) {
  const forked = forkCommand(
    file,
    args,
    options.cwd,
    { ...settings, signal: options.signal ?? settings.signal },
    10_000,
  );
  if (!forked) throw new Error('the forker refused the command');
  return forked;
}

/** The pid of the process that forked the calling command's parent: the forker, or Node itself. */
const GRANDPARENT = 'ps -o ppid= -p $PPID';

describe('the forker', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'asc-forker-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hands every argument to the command as it was, quotes, newlines and dollars included', async () => {
    const word = fc.string({ unit: 'binary', maxLength: 40 }).filter((w) => !w.includes('\0'));
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 6 }), async (words) => {
        const result = await fork('sh', ['-c', 'printf "%s\\0" "$@"', 'sh', ...words]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout.split('\0').slice(0, -1)).toEqual(words);
      }),
      { numRuns: 60 },
    );
  });

  it('is one bash beside Node: every command is its job, and a command with input goes through Node', async () => {
    const first = await fork('sh', ['-c', GRANDPARENT]);
    const second = await fork('sh', ['-c', GRANDPARENT]);
    expect(first.stdout.trim()).toMatch(/^\d+$/);
    expect(second.stdout.trim()).toBe(first.stdout.trim());
    expect(Number(first.stdout)).not.toBe(process.pid);
    const forker = Number(first.stdout);
    expect((await readFile(`/proc/${forker}/cmdline`, 'utf8')).split('\0')).toContain('--posix');
    // Input, or an environment of its own: Node's spawn, whose child's parent is Node.
    const withInput = await execCommand('sh', ['-c', 'cat >/dev/null; echo $PPID'], { input: 'x' }, settings);
    expect(Number(withInput.stdout)).toBe(process.pid);
    const withEnv = await execCommand('sh', ['-c', 'echo $PPID'], { env: { A: '1' } }, settings);
    expect(Number(withEnv.stdout)).toBe(process.pid);
    // A request bash would read too slowly (a byte at a time) is not the forker's.
    expect(forkCommand('echo', ['x'.repeat(MAX_LINE)], undefined, settings, 1000)).toBeUndefined();
  });

  it('reports exit codes, a death by signal, the working folder and what is missing as Node does', async () => {
    expect(await fork('sh', ['-c', 'echo out; echo err >&2; exit 4'])).toMatchObject({
      exitCode: 4,
      stdout: 'out',
      stderr: 'err',
    });
    expect(await fork('sh', ['-c', 'exit 200'])).toMatchObject({ exitCode: 200 });
    expect(await fork('sh', ['-c', 'kill -KILL $$'])).toMatchObject({
      exitCode: undefined,
      signal: 'SIGKILL',
    });
    expect((await fork('pwd', [], { cwd: dir })).stdout).toBe(dir);
    expect(await fork('asc-no-such-program', [])).toMatchObject({ missing: true });
    expect(await fork(path.join(dir, 'no-such-file'), [])).toMatchObject({ missing: true });
    expect(await fork('pwd', [], { cwd: path.join(dir, 'gone') })).toMatchObject({ missing: true });
    // A builtin of bash's name runs the program, not the builtin.
    expect((await fork('echo', ['-e', 'a\\tb'])).stdout).toBe(
      (await execCommand('sh', ['-c', 'command -v echo >/dev/null && /bin/echo -e "a\\tb"'], {}, settings))
        .stdout,
    );
  });

  it('a command stopped before bash names it leaves the next commands alone', async () => {
    for (let round = 0; round < 10; round++) {
      const stop = new AbortController();
      const stopped = fork('sh', ['-c', 'sleep 60 & wait'], { signal: stop.signal });
      stop.abort();
      expect(await stopped).toMatchObject({ canceled: true });
      expect(await fork('sh', ['-c', 'echo next'])).toMatchObject({ exitCode: 0, stdout: 'next' });
    }
  });

  it('a forker killed from outside fails what it was running, and the next command gets a new one', async () => {
    const pidFile = path.join(dir, 'pid');
    const running = fork('sh', [
      '-c',
      `echo $$ > ${JSON.stringify(pidFile)}; ${GRANDPARENT} >> ${JSON.stringify(pidFile)}; exec sleep 60`,
    ]);
    let lines: string[] = [];
    while (lines.length < 2) {
      lines = (await readFile(pidFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
      await new Promise(setImmediate);
    }
    const [sleeper, forker] = lines.map(Number) as [number, number];
    // bash's last argument is its folder of outputs.
    const folder =
      (await readFile(`/proc/${forker}/cmdline`, 'utf8')).split('\0').filter(Boolean).at(-1) ?? '';
    expect(existsSync(folder)).toBe(true);
    process.kill(forker, 'SIGKILL');
    try {
      expect(await running).toMatchObject({ exitCode: undefined, signal: 'SIGKILL' });
      expect(existsSync(folder)).toBe(false);
      const next = await fork('sh', ['-c', GRANDPARENT]);
      expect(next.exitCode).toBe(0);
      expect(Number(next.stdout)).not.toBe(forker);
    } finally {
      process.kill(sleeper, 'SIGKILL');
    }
  });
});
