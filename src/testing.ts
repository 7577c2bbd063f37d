/**
 * A plugin author's kit (`ascalon/testing`): a task context whose host and guest commands are answered by
 * the test, with real files in a folder the test owns, and `expectIdempotent` for the rule every task
 * must keep. Works with any test runner: failures are thrown as plain Errors.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { quote, type Spawn } from './core/context/exec.ts';
import { guestArgv } from './core/context/guest.ts';
import { readOnlyContext } from './core/context/read-only.ts';
import { createContextFactory } from './core/task-context.ts';
import type { AscExecOptions, AscHostFacts, AscProgram, AscTask, AscTaskContext } from './core/types.ts';
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
  /** What `t.host.ascProgram()` answers. @defaultValue Homebrew's node and asc installed with `npm i -g` */
  ascProgram?: AscProgram;
  /** Environment (`LIMA_HOME`…). @defaultValue `{ HOME: home }` */
  env?: Record<string, string | undefined>;
  /** Host commands (`exec.query` and `exec.run`). @defaultValue none: every command is "not found" */
  exec?: FakeCommands;
  /**
   * Guest commands (`guest.query` and `guest.run`), argv as the task gave it. An unanswered one fails
   * as a shell in the guest would: exit 127, `<program>: not found`. @defaultValue none
   */
  guest?: FakeCommands;
  /** Programs `exec.which` finds, name → absolute path. @defaultValue none */
  which?: Record<string, string>;
  /** What `guest.facts()` returns, keyed `<plugin>.<fact>`; a function is asked at each call. @defaultValue {} */
  guestFacts?: Record<string, string> | (() => Record<string, string>);
  /** Install hints, as plugins declare them in `tools`, for "<tool> not found: install it with …". @defaultValue {} */
  tools?: Record<string, { install: string }>;
  /** Plan mode: run commands, writes and state changes are refused. @defaultValue false */
  dryRun?: boolean;
  /** The answer `confirm` gives (as `--yes` or a key at the prompt). @defaultValue false */
  confirm?: boolean;
  /** The running task's full id. @defaultValue 'test.task' */
  id?: string;
  /** The plugin whose records `t.state` holds. @defaultValue the id's part before its first dot */
  plugin?: string;
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

type Calls = { argv: string[]; mutating: boolean }[];

/**
 * Make a context; files are real, under `home` (a new temporary folder unless given). It is asc's own
 * context, made by the same factory as the CLI's (so its errors, hints and plan-mode refusals are the
 * product's): only the processes are the test's answers, and the host and guest facts are given.
 */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), 'asc-test-')));
  const instance = options.instance ?? 'default';
  const id = options.id ?? 'test.task';
  const plugin = options.plugin ?? id.split('.')[0] ?? id;
  const stateDir = path.join(home, '.local', 'state', 'asc');
  const logs: string[] = [];
  const log = (level: string) => (message: string) => logs.push(`${level}: ${message}`);
  const contextFor = createContextFactory({
    readOnly: false,
    yes: options.confirm ?? false,
    signal: new AbortController().signal,
    env: options.env ?? { HOME: home },
    home,
    backupDir: path.join(stateDir, 'backups', 'test'),
    stateDir,
    config: { instance, file: undefined, dir: home },
    collected: { vm: freezeVmSpec(options.vm ?? createVmSpec()), tools: options.tools ?? {}, guestFacts: {} },
    spawn: fakeSpawn(options, instance),
  });
  const facts: AscHostFacts = {
    platform: 'darwin',
    arch: 'arm64',
    macosVersion: '15.5',
    user: 'dev',
    uid: 501,
    brewPrefix: '/opt/homebrew',
    ...options.hostFacts,
  };
  const real = contextFor({ id, plugin }, { info: log('info'), warn: log('warn'), debug: () => {} });
  const base: AscTaskContext = {
    ...real,
    // The factory's log above drops exec's `$ command` lines; a task's own debug lines are kept.
    log: { info: log('info'), warn: log('warn'), debug: log('debug') },
    host: {
      ...real.host,
      uid: facts.uid,
      facts: async () => facts,
      ascProgram: async () =>
        options.ascProgram ?? { node: '/opt/homebrew/bin/node', script: '/opt/homebrew/bin/asc' },
    },
    exec: { ...real.exec, which: async (file) => options.which?.[file] },
    guest: {
      ...real.guest,
      facts: async () =>
        typeof options.guestFacts === 'function' ? options.guestFacts() : { ...options.guestFacts },
      refresh: () => {},
      offline: (work) => work(),
    },
  };
  const calls = { commands: [] as Calls, guestCommands: [] as Calls };
  const withMode = (dryRun: boolean): TestContext =>
    recording(dryRun ? readOnlyContext(base, plugin) : base, calls, logs, withMode);
  return withMode(options.dryRun ?? false);
}

/** The context, with every command it is asked to run written down first (a refused one too). */
function recording(
  t: AscTaskContext,
  calls: { commands: Calls; guestCommands: Calls },
  logs: string[],
  withMode: (dryRun: boolean) => TestContext,
): TestContext {
  const host =
    (mutating: boolean, call: AscTaskContext['exec']['run']) =>
    (file: string, args: readonly string[], opts?: AscExecOptions) => {
      calls.commands.push({ argv: [file, ...args], mutating });
      return call(file, args, opts);
    };
  const guest =
    (mutating: boolean, call: AscTaskContext['guest']['run']) =>
    (args: readonly string[], opts?: AscExecOptions) => {
      calls.guestCommands.push({ argv: [...args], mutating });
      return call(args, opts);
    };
  return {
    ...t,
    exec: { ...t.exec, query: host(false, t.exec.query), run: host(true, t.exec.run) },
    guest: { ...t.guest, query: guest(false, t.guest.query), run: guest(true, t.guest.run) },
    ...calls,
    logs,
    withMode,
  };
}

/**
 * The process layer of a test: `limactl shell … <instance> -- <argv>` (what `t.guest` runs) is answered
 * by `options.guest`, anything else by `options.exec`.
 */
function fakeSpawn(options: TestContextOptions, instance: string): Spawn {
  const prefix = guestArgv(instance, []);
  return async (file, args, opts) => {
    const argv = [file, ...args];
    const inGuest = prefix.every((arg, i) => argv[i + 1] === arg) && file === 'limactl';
    const asked = inGuest ? argv.slice(prefix.length + 1) : argv;
    const got = await (inGuest ? options.guest : options.exec)?.(asked, opts);
    if (!got) {
      if (!inGuest) return { exitCode: undefined, stdout: '', stderr: '', missing: true };
      return { exitCode: 127, stdout: '', stderr: `sh: 1: ${asked[0]}: not found` };
    }
    let stdout = got.stdout ?? '';
    if (opts.stdoutFile) {
      await writeFile(opts.stdoutFile, stdout);
      opts.progress?.(Buffer.byteLength(stdout));
      stdout = '';
    }
    return { exitCode: got.exitCode ?? 0, stdout, stderr: got.stderr ?? '' };
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
