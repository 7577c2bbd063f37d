import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { AscError } from '../errors.ts';
import { indent, tail } from '../text.ts';
import type { AscExec, AscExecOptions, AscExecResult, AscToolHint } from '../types.ts';
import { forkCommand } from './forker.ts';
import { killGroup, spawnInMemory } from './spawn.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface ExecSettings {
  signal: AbortSignal;
  /** Install hints by program name, from the plugins' `tools`. */
  tools: Readonly<Record<string, AscToolHint>>;
  /** The environment commands inherit (process.env in the CLI). */
  env: NodeJS.ProcessEnv;
  debug?: (message: string) => void;
  /** What starts the process (Node's spawn, or execa for files), unless a test answers the commands itself (`ascalon/testing`). */
  spawn?: Spawn;
}

/** A finished command as the process layer saw it, before asc judges its exit code. */
export interface Spawned {
  /** Undefined when a signal ended it. */
  exitCode: number | undefined;
  signal?: string | undefined;
  stdout: string;
  stderr: string;
  /** The program is not there (ENOENT at spawn). */
  missing?: boolean;
  timedOut?: boolean;
  canceled?: boolean;
}

/** Starts a command and waits for it: the one place a process is made. */
export type Spawn = (
  file: string,
  args: readonly string[],
  options: AscExecOptions,
  settings: Pick<ExecSettings, 'signal' | 'env'>,
) => Promise<Spawned>;

/** Host commands. Plan mode is this object wrapped by `readOnlyExec`. */
export function createExec(settings: ExecSettings): AscExec {
  // Each running command listens to the run's signal until it ends: with 11 at once (the default
  // concurrency is 16) Node would warn of a leak (MaxListenersExceededWarning) that is not one.
  setMaxListeners(0, settings.signal);
  return {
    query: (file, args, options) => execCommand(file, args, options, settings),
    run: (file, args, options) => execCommand(file, args, options, settings),
    which: async (file) => {
      const { default: which } = await import('which');
      return (await which(file, { path: settings.env.PATH ?? '', nothrow: true })) ?? undefined;
    },
  };
}

export async function execCommand(
  file: string,
  args: readonly string[],
  options: AscExecOptions = {},
  settings: ExecSettings,
): Promise<AscExecResult> {
  const command = quote([file, ...args]);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  settings.debug?.(`$ ${command}`);
  const result = await (settings.spawn ?? spawnProcess)(file, args, options, settings);
  const { stdout, stderr } = result;
  if (result.missing) throw await missingTool(file, settings);
  if (result.timedOut) {
    throw new AscError(`Command timed out after ${formatMs(timeoutMs)}: ${command}`, {
      code: 'E_TIMEOUT',
      hint: tail(stderr) || undefined,
    });
  }
  if (result.canceled) throw new AscError(`Command cancelled: ${command}`, { code: 'E_CANCELLED' });
  const exitCode = result.exitCode ?? 128;
  if (!(options.okCodes ?? [0]).includes(exitCode)) {
    const why = result.signal ? `was killed with ${result.signal}` : `failed with exit code ${exitCode}`;
    const output = tail(stderr) || tail(stdout);
    throw new AscError(`Command ${why}: ${command}${output ? `\n${indent(output)}` : ''}`, {
      code: 'E_COMMAND_FAILED',
    });
  }
  return { command, exitCode, stdout, stderr };
}

/**
 * The real process: for output kept in memory, asc's forker (one bash that starts the commands,
 * `forker.ts`) or else Node's spawn; execa for a file streamed in or out.
 */
const spawnProcess: Spawn = async (file, args, options, settings) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!options.stdinFile && !options.stdoutFile) {
    const forked =
      options.input === undefined && options.env === undefined
        ? forkCommand(file, args, options.cwd, settings, timeoutMs)
        : undefined;
    return forked ?? spawnInMemory(file, args, options, settings, timeoutMs);
  }
  const { execa } = await loadExeca();
  // Each command gets its own process group, and a timeout or Ctrl-C ends the whole group: killing
  // only `sh -c` would leave what it started running, holding the output pipes open. One timer per call;
  // the abort controller exists only to tell execa that the command was cancelled.
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, timeoutMs);
  const cancel = () => stop.abort();
  settings.signal.addEventListener('abort', cancel, { once: true });
  if (settings.signal.aborted) stop.abort();
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env ? { ...settings.env, ...options.env } : settings.env,
    extendEnv: false,
    // No input: stdin is /dev/null (EOF at once, as an empty pipe gave), with no pipe to set up and write.
    ...(options.stdinFile
      ? { inputFile: options.stdinFile }
      : options.input !== undefined
        ? { input: options.input }
        : { stdin: 'ignore' as const }),
    // Streamed, not buffered: a home-folder archive can be gigabytes.
    ...(options.stdoutFile
      ? { stdout: streamTo(options.stdoutFile, options.progress), buffer: { stdout: false } }
      : {}),
    detached: true,
    cancelSignal: stop.signal,
    forceKillAfterDelay: false,
    reject: false,
    stripFinalNewline: true,
  });
  stop.signal.addEventListener('abort', () => killGroup(subprocess.pid), { once: true });
  const result = await subprocess.finally(() => {
    clearTimeout(timer);
    settings.signal.removeEventListener('abort', cancel);
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    missing: (result as { code?: string }).code === 'ENOENT' && result.exitCode === undefined,
    timedOut,
    canceled: result.isCanceled,
  };
};

/**
 * "limactl not found: install it with `brew install lima`". For a program a plugin declares in its
 * `tools` (the Mac's setup asc works with), on a machine that is not a Mac (asked of `uname -s`, as the
 * host facts are, so a simulated Mac counts as one), the message first says that asc manages a Mac's
 * VM: the tool is missing because this is the wrong machine, not a broken Mac. Any other program (`git`
 * in a user task) is just missing, wherever asc runs.
 */
async function missingTool(file: string, settings: Parameters<typeof execCommand>[3]): Promise<AscError> {
  const hint = settings.tools[path.basename(file)];
  let system = 'Darwin';
  if (hint !== undefined && file !== 'uname') {
    system = await execCommand('uname', ['-s'], { timeoutMs: 5000 }, settings)
      .then((r) => r.stdout.trim() || 'Darwin')
      .catch(() => 'Darwin');
  }
  const notMac = system === 'Darwin' ? '' : `asc manages a Mac's Lima VM, and this machine runs ${system}: `;
  const how = !hint
    ? ''
    : 'install' in hint
      ? `: install it with \`${hint.install}\``
      : `: macOS ships it as ${hint.macOS}; is ${path.dirname(hint.macOS)} on PATH?`;
  return new AscError(`${notMac}${file} not found${how}`, {
    code: 'E_TOOL_MISSING',
    ...(hint ? {} : { hint: `install ${file} and make sure it is on PATH` }),
  });
}

/** execa's stdout target for a file, counting the bytes on the way when someone watches the progress. */
function streamTo(file: string, progress: ((bytes: number) => void) | undefined) {
  if (!progress) return { file };
  let bytes = 0;
  // A binary transform gets Uint8Array chunks (execa's types say unknown).
  const count = function* (chunk: unknown) {
    bytes += (chunk as Uint8Array).length;
    progress(bytes);
    yield chunk;
  };
  return [{ transform: count, binary: true }, { file }] as const;
}

let execaModule: Promise<typeof import('execa')> | undefined;
/** execa and its dependencies are some 240 KB of code: only a run that streams a file pays to load them. */
function loadExeca(): Promise<typeof import('execa')> {
  execaModule ??= import('execa');
  return execaModule;
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * A command line for display: arguments that need it are single-quoted, as a shell would read them.
 * (Our own three lines: execa's `escapedCommand` exists only on a result, and plan mode must quote a
 * command it refuses to run.)
 */
export function quote(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
