import { accessSync, constants, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Spawned } from './exec.ts';
import { killGroup, text } from './spawn.ts';

/**
 * The forker: one long-lived bash that starts asc's commands, so that Node forks once per run instead of
 * once per command (docs/decisions.md, decision 49). On Linux, libuv's spawn is a `fork()` of the whole
 * Node process (some 20 MB of page tables to copy, then a copy-on-write fault for each page Node writes
 * while children are young), on Node's one thread; bash forks a process of a few hundred KB, beside Node.
 *
 * Each request is one line: an id, the working folder and the argv, each single-quoted (a newline as
 * `$'\n'`), read with `eval "set -- …"`. Each command is a background job: under `set -m` bash gives it a
 * process group of its own, as Node's `detached: true` did, so a timeout or a cancel ends the command and
 * all it started. Its output goes to two files in a private folder, read and removed when bash reports
 * the job's exit status. A program not on PATH (bash's `type -P`) or a working folder that is not there is
 * reported as Node reports them, as ENOENT. bash removes the folder when Node closes its end of the pipe
 * (at Node's exit), after its loop rather than in an EXIT trap: a job killed in the instant after its
 * fork, before bash has reset the traps it inherited, would run the trap and remove the folder under
 * the other jobs.
 *
 * What cannot go through it goes through Node's spawn, unchanged: a command with input or its own
 * environment, a run whose environment is not the process's own (the forker inherits `process.env` as it
 * is when it starts), an argument with a NUL, a request longer than MAX_LINE (bash reads a pipe a byte at
 * a time), no /bin/bash, or `ASC_FORKER=0` in the environment.
 */
const SCRIPT = `set -m
shopt -s checkhash
D=$1
while IFS= read -r line; do
  eval "set -- $line"
  id=$1 dir=$2
  shift 2
  case $1 in
    */*) [ -e "$1" ] ;;
    *) type -P -- "$1" >/dev/null ;;
  esac || { echo "$id m"; continue; }
  {
    cd -- "$dir" 2>/dev/null || { echo "$id m"; exit; }
    (exec "$@") </dev/null >"$D/$id.o" 2>"$D/$id.e"
    echo "$id s $?"
  } &
  echo "$id p $!"
done
rm -rf -- "$D"
`;

const BASH = '/bin/bash';
export const MAX_LINE = 4096;

interface Job {
  finish: (result: Omit<Spawned, 'stdout' | 'stderr'>) => void;
  /** Its process group, once bash has said it. */
  pid?: number;
}

interface Forker {
  jobs: Map<string, Job>;
  /** Jobs asc stopped before bash said their pid: killed when it does. */
  killOnStart: Set<string>;
  write: (line: string) => void;
  ref: (on: boolean) => void;
  dir: string;
  next: number;
}

/** The process's forker: undefined before the first command, null when there can be none. */
let current: Forker | null | undefined;

/** A command line for bash: each word single-quoted, a newline as `$'\n'`. */
function quote(word: string): string {
  // A function, not a string, as the replacement: in a replacement string `$'` means "what follows".
  return `'${word.replaceAll("'", `'\\''`).replaceAll('\n', () => `'$'\\n''`)}'`;
}

/** The request line for a command, or undefined when it must go through Node's spawn. */
export function requestLine(
  id: string,
  cwd: string,
  file: string,
  args: readonly string[],
): string | undefined {
  const words = [cwd, file, ...args];
  if (words.some((word) => word.includes('\0'))) return undefined;
  const line = `${id} ${words.map(quote).join(' ')}`;
  return Buffer.byteLength(line) < MAX_LINE ? line : undefined;
}

/** The forker, started at the first command; null when there can be none. */
function forker(): Forker | null {
  if (current !== undefined) return current;
  current = null;
  if (process.env.ASC_FORKER !== '0' && process.platform !== 'win32') {
    try {
      accessSync(BASH, constants.X_OK);
      current = startForker();
    } catch {
      current = null;
    }
  }
  return current;
}

function startForker(): Forker {
  const dir = mkdtempSync(path.join(tmpdir(), 'asc-commands-'));
  const { spawn } = process.getBuiltinModule('node:child_process');
  // --posix: bash reads no startup file (BASH_ENV included) before the script.
  const bash = spawn(BASH, ['--posix', '-c', SCRIPT, 'asc-forker', dir], {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  const jobs = new Map<string, Job>();
  const self: Forker = {
    jobs,
    killOnStart: new Set(),
    dir,
    next: 0,
    write: (line) => bash.stdin?.write(`${line}\n`),
    ref: (on) => {
      // The pipes are sockets: unref'd, they keep Node alive no more than the child does.
      for (const handle of [bash, bash.stdin, bash.stdout] as { ref?(): void; unref?(): void }[]) {
        if (on) handle?.ref?.();
        else handle?.unref?.();
      }
    },
  };
  self.ref(false);
  bash.stdin?.on('error', () => {});
  let pending = '';
  bash.stdout?.setEncoding('utf8');
  bash.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    let end = pending.indexOf('\n');
    while (end !== -1) {
      report(self, pending.slice(0, end));
      pending = pending.slice(end + 1);
      end = pending.indexOf('\n');
    }
  });
  // bash gone (killed from outside, or never started): what it was running is reported failed, and the
  // next command starts another. On its exit, not on 'close': the jobs it left hold its stdout open.
  const gone = () => {
    if (current === self) current = undefined;
    self.ref(false);
    bash.stdout?.destroy();
    for (const job of [...jobs.values()]) job.finish({ exitCode: undefined, signal: 'SIGKILL' });
    // A bash killed does not remove its folder.
    rmSync(dir, { recursive: true, force: true });
  };
  bash.once('exit', gone);
  bash.once('error', gone);
  return self;
}

/** One line from bash: `<id> p <pid>`, `<id> s <status>` or `<id> m`. */
function report(forker: Forker, line: string): void {
  const [id = '', what, value] = line.split(' ');
  if (what === 'p' && forker.killOnStart.delete(id)) killGroup(Number(value));
  const job = forker.jobs.get(id);
  if (!job) return;
  if (what === 'p') {
    job.pid = Number(value);
  } else if (what === 's') job.finish(status(Number(value)));
  else if (what === 'm') job.finish({ exitCode: undefined, missing: true });
}

/**
 * Runs a command through the forker, with the contract of `spawnInMemory`; undefined when this command
 * cannot go through it.
 */
export function forkCommand(
  file: string,
  args: readonly string[],
  cwd: string | undefined,
  settings: { signal: AbortSignal; env: NodeJS.ProcessEnv },
  timeoutMs: number,
): Promise<Spawned> | undefined {
  const self = settings.env === process.env ? forker() : null;
  if (!self) return undefined;
  const id = String(self.next++);
  const line = requestLine(id, path.resolve(cwd ?? '.'), file, args);
  if (line === undefined) return undefined;
  return new Promise((resolve) => {
    let timedOut = false;
    let canceled = false;
    const job: Job = {
      finish: (result) => {
        self.jobs.delete(id);
        if (self.jobs.size === 0) self.ref(false);
        clearTimeout(timer);
        settings.signal.removeEventListener('abort', stop);
        resolve({ ...result, stdout: take(self, id, 'o'), stderr: take(self, id, 'e'), timedOut, canceled });
      },
    };
    // A timeout or a cancel ends the command's group, and the command is over for asc: bash reports
    // nothing for a job killed with its shell.
    const stop = () => {
      canceled = true;
      if (job.pid === undefined) self.killOnStart.add(id);
      else killGroup(job.pid);
      job.finish({ exitCode: undefined, signal: 'SIGTERM' });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    settings.signal.addEventListener('abort', stop, { once: true });
    if (self.jobs.size === 0) self.ref(true);
    self.jobs.set(id, job);
    self.write(line);
    if (settings.signal.aborted) stop();
  });
}

/**
 * A job's exit status as Node gives it. A shell sees a command killed by a signal as 128 + its number; a
 * status in 129–159 is reported as the standard signal (1–31) it names, as Node's spawn reports a
 * process that died of one (a program that exits with such a code itself is rare, and a shell would
 * call it killed too).
 */
function status(code: number): Pick<Spawned, 'exitCode' | 'signal'> {
  if (code <= 128 || code >= 160) return { exitCode: code };
  const { signals } = process.getBuiltinModule('node:os').constants;
  const name = Object.keys(signals).find((key) => signals[key as keyof typeof signals] === code - 128);
  return name ? { exitCode: undefined, signal: name } : { exitCode: code };
}

/** A job's output file, read and removed (empty when the job never made it). */
function take(forker: Forker, id: string, stream: 'o' | 'e'): string {
  const file = path.join(forker.dir, `${id}.${stream}`);
  try {
    const content = readFileSync(file);
    unlinkSync(file);
    return text([content]);
  } catch {
    return '';
  }
}
