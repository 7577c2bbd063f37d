/**
 * A plugin author's kit (`ascalon/testing`): a task context whose host and guest commands are answered by
 * the test, with real files in a folder the test owns, and `expectIdempotent` for the rule every task
 * must keep. Works with any test runner: failures are thrown as plain Errors.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planRefusal, quote } from './core/context/exec.ts';
import { createFiles } from './core/context/files.ts';
import { AscError } from './core/errors.ts';
import { createOnceCache, type OnceCache } from './core/once.ts';
import { createStateStores } from './core/state.ts';
import type {
  AscExecOptions,
  AscExecResult,
  AscHostFacts,
  AscResolvedConfig,
  AscTask,
  AscTaskContext,
} from './core/types.ts';
import { type AscVmSpec, createVmSpec, freezeVmSpec } from './core/vm-spec.ts';

/** What a fake command answers: its output and exit code (0 when left out). */
export interface FakeAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** Answers a command, or returns undefined for "no such program" (as a missing tool). */
export type FakeCommands = (
  argv: readonly string[],
  options: AscExecOptions,
) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

export interface TestContextOptions {
  /** The user's home; files are real, under it. @defaultValue a new temporary folder */
  home?: string;
  /** @defaultValue 'default' */
  instance?: string;
  /** The merged VM spec tasks see. @defaultValue an empty spec */
  vm?: AscVmSpec;
  /** Host facts. @defaultValue an Apple Silicon Mac, macOS 15.5, Homebrew in /opt/homebrew */
  hostFacts?: Partial<AscHostFacts>;
  /** Environment (`LIMA_HOME`…). @defaultValue `{ HOME: home }` */
  env?: Record<string, string | undefined>;
  /** Host commands (`exec.query` and `exec.run`). @defaultValue none: every command is "not found" */
  exec?: FakeCommands;
  /** Guest commands (`guest.query` and `guest.run`), argv as the task gave it. @defaultValue none */
  guest?: FakeCommands;
  /** Programs `exec.which` finds, name → absolute path. @defaultValue none */
  which?: Record<string, string>;
  /** What `guest.facts()` returns, keyed `<plugin>.<fact>`; a function is asked at each call. @defaultValue {} */
  guestFacts?: Record<string, string> | (() => Record<string, string>);
  /** Plan mode: run commands, writes and state changes are refused. @defaultValue false */
  dryRun?: boolean;
  /** The answer `confirm` gives (as `--yes` or a key at the prompt). @defaultValue false */
  confirm?: boolean;
  /** The running task's full id. @defaultValue 'test.task' */
  id?: string;
}

/** A task context for unit tests, with a record of what the task did. */
export interface TestContext extends AscTaskContext {
  /** Every host command, `run` ones marked, in order (plan mode's refused ones too). */
  readonly commands: { argv: string[]; mutating: boolean }[];
  /** Every guest command, in order. */
  readonly guestCommands: { argv: string[]; mutating: boolean }[];
  /** Every line logged, prefixed with its level. */
  readonly logs: string[];
  /** The same world seen in plan mode (or back in run mode): shares files, answers and records. */
  withMode(dryRun: boolean): TestContext;
}

/** Make a context; files are real, under `home` (a new temporary folder unless given). */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), 'asc-test-')));
  const shared = {
    home,
    commands: [] as { argv: string[]; mutating: boolean }[],
    guestCommands: [] as { argv: string[]; mutating: boolean }[],
    logs: [] as string[],
    cache: createOnceCache(),
    stateDir: path.join(home, '.local', 'state', 'asc'),
  };
  return build(options, shared, options.dryRun ?? false);
}

type Shared = {
  home: string;
  commands: { argv: string[]; mutating: boolean }[];
  guestCommands: { argv: string[]; mutating: boolean }[];
  logs: string[];
  cache: OnceCache;
  stateDir: string;
};

function build(options: TestContextOptions, shared: Shared, dryRun: boolean): TestContext {
  const { home } = shared;
  const env = options.env ?? { HOME: home };
  const config: AscResolvedConfig = { instance: options.instance ?? 'default', file: undefined, dir: home };
  const facts: AscHostFacts = {
    platform: 'darwin',
    arch: 'arm64',
    macosVersion: '15.5',
    user: 'dev',
    uid: 501,
    brewPrefix: '/opt/homebrew',
    ...options.hostFacts,
  };
  const answer = async (
    fake: FakeCommands | undefined,
    argv: string[],
    opts: AscExecOptions = {},
  ): Promise<AscExecResult> => {
    const got = await fake?.(argv, opts);
    const command = quote(argv);
    if (!got) throw new AscError(`${argv[0]} not found`, { code: 'E_TOOL_MISSING' });
    let stdout = got.stdout ?? '';
    if (opts.stdoutFile) {
      await writeFile(opts.stdoutFile, stdout);
      stdout = '';
    }
    const result = { command, exitCode: got.exitCode ?? 0, stdout, stderr: got.stderr ?? '' };
    if (!(opts.okCodes ?? [0]).includes(result.exitCode)) {
      throw new AscError(`Command failed with exit code ${result.exitCode}: ${command}\n  ${result.stderr}`, {
        code: 'E_COMMAND_FAILED',
      });
    }
    return result;
  };
  const host = (mutating: boolean) => (file: string, args: readonly string[], opts?: AscExecOptions) => {
    const argv = [file, ...args];
    shared.commands.push({ argv, mutating });
    if (mutating && dryRun) return Promise.reject(planRefusal(quote(argv)));
    return answer(options.exec, argv, opts);
  };
  const guest = (mutating: boolean) => (args: readonly string[], opts?: AscExecOptions) => {
    const argv = [...args];
    shared.guestCommands.push({ argv, mutating });
    if (mutating && dryRun) return Promise.reject(planRefusal(`(in the VM) ${quote(argv)}`));
    return answer(options.guest, argv, opts);
  };
  const id = options.id ?? 'test.task';
  const log = (level: string) => (message: string) => shared.logs.push(`${level}: ${message}`);
  return {
    id,
    config,
    host: { home, env, stateDir: shared.stateDir, uid: facts.uid, facts: async () => facts },
    exec: {
      query: host(false),
      run: host(true),
      which: async (file) => options.which?.[file],
    },
    guest: {
      query: guest(false),
      run: guest(true),
      facts: async () =>
        typeof options.guestFacts === 'function' ? options.guestFacts() : { ...options.guestFacts },
      refresh: () => {},
    },
    files: createFiles({ dryRun, home, backupDir: path.join(shared.stateDir, 'backups', 'test') }),
    log: { info: log('info'), warn: log('warn'), debug: log('debug') },
    signal: new AbortController().signal,
    dryRun,
    vm: freezeVmSpec(options.vm ?? createVmSpec()),
    confirm: async () => options.confirm ?? false,
    once: shared.cache.once,
    forget: shared.cache.forget,
    state: createStateStores(shared.stateDir, dryRun)(id.split('.')[0] ?? id),
    commands: shared.commands,
    guestCommands: shared.guestCommands,
    logs: shared.logs,
    withMode: (next) => build(options, shared, next),
  };
}

/**
 * The rules every task keeps: a check never changes anything; on a drifted world, apply converges it;
 * and the converged world stays converged, in run and in plan mode. Returns what the first check said.
 * Throws a plain Error naming the broken rule.
 */
export async function expectIdempotent(task: AscTask, t: TestContext): Promise<{ reason: string }> {
  /** A check that runs a mutating command (even one plan mode refused) breaks the first rule. */
  const checked = async (ctx: TestContext) => {
    const [hostBefore, guestBefore] = [t.commands.length, t.guestCommands.length];
    const result = await task.check(ctx);
    const mutations = [...t.commands.slice(hostBefore), ...t.guestCommands.slice(guestBefore)].filter(
      (c) => c.mutating,
    );
    if (mutations.length > 0) {
      throw new Error(`${task.id}: its check ran ${mutations.map((c) => quote(c.argv)).join('; ')}`);
    }
    return result;
  };
  const first = await checked(t);
  if (first.converged) throw new Error(`${task.id}: expected drift before apply, but the check says ok`);
  await task.apply(t);
  const after = await checked(t);
  if (!after.converged) throw new Error(`${task.id}: apply did not converge: ${after.reason}`);
  const planned = await checked(t.withMode(true));
  if (!planned.converged) throw new Error(`${task.id}: a plan after apply still drifts: ${planned.reason}`);
  return { reason: first.reason };
}
