import type { z } from 'zod';
import type { AscVmSpec } from './vm-spec.ts';

/**
 * What a check found: converged; drifted, with the reason (and a unified diff when a file would change);
 * drifted in a way its apply cannot fix (Colima stopped), which fails the task with the user's fix; or
 * not applicable on this machine (not a Mac, no GUI session), which skips the task and its dependents.
 */
export type AscCheckResult = AscConverged | AscDrift | AscCannotFix | AscNotApplicable;

export interface AscConverged {
  readonly converged: true;
  readonly notApplicable?: false;
  readonly cannotFix?: false;
  /** Optional detail shown with `--verbose` and in `--json`. */
  readonly reason?: string;
}

export interface AscDrift {
  readonly converged: false;
  readonly notApplicable?: false;
  readonly cannotFix?: false;
  /** Why the world differs from the desired state, in a few words ("cpus is 4, want 6"). */
  readonly reason: string;
  /** A unified diff of the file that apply would change. */
  readonly diff?: string;
}

/**
 * Drift that only the user can fix (a daemon on the Mac that is stopped, an app that is closed): `plan`
 * and `status` report it as a failure (exit 1) with the fix, not as a change a run would make, and `run`
 * fails the task without calling apply.
 */
export interface AscCannotFix {
  readonly converged: false;
  readonly notApplicable?: false;
  readonly cannotFix: true;
  /** What is wrong, in a few words ("Colima is not running"). */
  readonly reason: string;
  /** What the user does about it: a command to run, an app to open. */
  readonly fix: string;
}

export interface AscNotApplicable {
  readonly converged: false;
  readonly notApplicable: true;
  readonly cannotFix?: false;
  /** Why the task does not apply here ("not a Mac: launchd is macOS's"). */
  readonly reason: string;
}

/** One idempotent unit of work. Its full id is `<plugin>.<id>`. */
export interface AscTask {
  /** Id inside its plugin, read as a state (`running`, `guest-cli`); the full id is `<plugin>.<id>`. */
  id: string;
  /** Shown in the tree. @defaultValue the full id */
  title?: string;
  /** `phase1` … `phase6`; a task without a phase runs with `all`, by id or glob, or as a need. */
  phase?: string;
  /** Full task ids or globs (`lima.running`, `lima.*`) that must be converged first. */
  needs?: string[];
  /** Is the world already as desired? Must not change anything: in plan mode its exec/files refuse writes. */
  check(t: AscTaskContext): Promise<AscCheckResult>;
  /**
   * Make it so. Runs only after a drifted check; the check runs again afterwards. May return what it did,
   * in a few words, for the report ("created default from template:default"); otherwise the report says
   * the drift it fixed.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an apply that returns nothing is the common case
  apply(t: AscTaskContext): Promise<string | undefined | void>;
  /** Handler ids (`<plugin>.<handler>`) to run once, after every task, when this task changed something. */
  notify?: string[];
}

/** Runs once after the tasks that notified it, when at least one of them changed something. */
export interface AscHandler {
  /** Id inside its plugin; the full id is `<plugin>.<id>`. */
  id: string;
  title?: string;
  run(t: AscTaskContext): Promise<void>;
}

/** Everything a check, apply or handler may use. Nothing else: no globals. */
export interface AscTaskContext {
  /** The full id of the running task. */
  readonly id: string;
  readonly config: AscResolvedConfig;
  readonly host: AscHost;
  readonly exec: AscExec;
  readonly guest: AscGuest;
  readonly files: AscFiles;
  readonly log: AscLog;
  /** Aborted on Ctrl-C; pass it on to long waits. exec and guest already use it. */
  readonly signal: AbortSignal;
  /**
   * True in `plan`, `status` and `doctor`, where the context is read-only: every method that may change
   * something refuses. Plugins never need to read it.
   */
  readonly dryRun: boolean;
  /** The merged VM spec every plugin contributed to. */
  readonly vm: Readonly<AscVmSpec>;
  /** Ask before a disruptive step: true with `--yes` or a yes at a TTY prompt, false otherwise. */
  confirm(question: string): Promise<boolean>;
  /** A value computed once per run and shared by every task (e.g. one `limactl list --json`). */
  once<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** Drop a `once` value after asc changed what it describes (a start, a create); the next `once` recomputes it. */
  forget(key: string): void;
  /** The plugin's own records in asc's state folder, kept between runs (what asc registered, a step done). */
  readonly state: AscState;
}

/**
 * A plugin's records that outlive a run, as JSON in `~/.local/state/asc/plugins/<plugin>.json`: what asc
 * itself registered (so `asc uninstall` undoes only that), or how far a long operation got (so it resumes).
 */
export interface AscState {
  /** The value saved under `key`, or undefined. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Save a JSON value under `key` (atomic); refused in plan mode. */
  set(key: string, value: unknown): Promise<void>;
  /** Forget `key`; refused in plan mode. */
  delete(key: string): Promise<void>;
}

export interface AscHost {
  /** The user's home folder ($HOME). */
  readonly home: string;
  /** The environment asc was started with (LIMA_HOME, NIX_STORE_DIR…), read-only. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** asc's state folder (`$XDG_STATE_HOME/asc`, else `~/.local/state/asc`): backups, records, archives. */
  readonly stateDir: string;
  /**
   * asc's own user id, known without a command: what a check that needs only it (`launchctl print
   * gui/<uid>`) starts with, beside the facts' round rather than after it. The same as `facts().uid`.
   */
  readonly uid: number;
  /** Facts from the host's own tools, gathered once per run on first use. */
  facts(): Promise<AscHostFacts>;
  /** How a LaunchAgent starts this asc again: Node and asc's script, absolute, by paths that outlive upgrades. */
  ascProgram(): Promise<AscProgram>;
}

/** The program a LaunchAgent runs to start asc: `<node> <script> <asc arguments…>`. */
export interface AscProgram {
  /** Node, by an absolute path (Homebrew's `<prefix>/bin/node` rather than its Cellar path). */
  node: string;
  /** asc's script (the npm bin link `…/bin/asc`, or `…/dist/cli.cjs`), absolute. */
  script: string;
}

export interface AscHostFacts {
  /** `darwin`, `linux`… from `uname -s`, lower-cased. */
  platform: string;
  /** `arm64`, `x86_64`… from `uname -m`. */
  arch: string;
  /** macOS version from `sw_vers -productVersion`; undefined elsewhere. */
  macosVersion: string | undefined;
  /** The user asc runs as (the process's own, as `id -un` says). */
  user: string;
  /** Its user id (as `id -u` says). */
  uid: number;
  /** `brew --prefix`; undefined without Homebrew. */
  brewPrefix: string | undefined;
}

export interface AscExecOptions {
  /** Milliseconds before the command is killed. @defaultValue 60000 */
  timeoutMs?: number;
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string | undefined>;
  /** Written to the command's stdin. Never logged: secrets go here, not into argv. */
  input?: string;
  /** Stream this file (binary-safe) to the command's stdin, instead of `input`. */
  stdinFile?: string;
  /** Stream the command's stdout (binary-safe) into this file; the result's `stdout` is then empty. */
  stdoutFile?: string;
  /** With `stdoutFile`: called with the bytes written so far, as they arrive (a transfer's progress). */
  progress?: (bytes: number) => void;
  /** Exit codes that are not failures. @defaultValue [0] */
  okCodes?: readonly number[];
}

export interface AscExecResult {
  /** The command line, quoted for display. */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Host commands (asc's forker, one bash that starts them, or Node's spawn; execa for a file streamed in or
 * out): argv arrays, never a shell string built from config. A missing program
 * gives "<tool> not found: install it with …"; a non-zero exit outside `okCodes` throws with the
 * command, exit code and stderr; every call has a timeout.
 */
export interface AscExec {
  /** A command that changes nothing; allowed in plan mode. */
  query(file: string, args: readonly string[], options?: AscExecOptions): Promise<AscExecResult>;
  /** A command that may change something; refused in plan mode. */
  run(file: string, args: readonly string[], options?: AscExecOptions): Promise<AscExecResult>;
  /** The absolute path of a program on PATH, or undefined. */
  which(file: string): Promise<string | undefined>;
}

/** Commands inside the VM, through `limactl shell --workdir / <instance> -- …`. */
export interface AscGuest {
  /** A command that changes nothing in the guest; allowed in plan mode. */
  query(args: readonly string[], options?: AscExecOptions): Promise<AscExecResult>;
  /** A command that may change the guest; refused in plan mode. */
  run(args: readonly string[], options?: AscExecOptions): Promise<AscExecResult>;
  /** Guest facts every plugin registered, gathered in one round trip per run. */
  facts(): Promise<Readonly<Record<string, string>>>;
  /** The VM stopped or started: the next `facts()` asks the guest again instead of using the cached answer. */
  refresh(): void;
  /**
   * Run `work` (a stop, a start, a restart of the VM) with the guest to this task alone: the other tasks'
   * guest commands (`query`, `run`, `facts`) wait until it ends instead of failing against a VM that is
   * down, and it waits for theirs already running. The facts are read again afterwards.
   */
  offline<T>(work: () => Promise<T>): Promise<T>;
}

export interface AscWriteOptions {
  /** File mode for a new file; an existing file keeps its own. @defaultValue 0o644 */
  mode?: number;
  /** Checks the new content in a temporary file before it replaces the old one; throw to refuse. */
  validate?: (tempPath: string) => Promise<void>;
}

export interface AscWriteResult {
  changed: boolean;
  /** Where the previous content was saved, when there was one. */
  backup?: string;
}

/** What is at a path, as `t.files.stat` and `t.files.lstat` see it. */
export interface AscFileInfo {
  /** `symlink` only from `lstat`: `stat` follows a link to what it points at. */
  kind: 'file' | 'folder' | 'symlink' | 'socket' | 'other';
  /** The permission bits (`0o644`), setuid/setgid/sticky included. */
  mode: number;
  /** Size in bytes (of the link itself, for a symlink from `lstat`). */
  size: number;
  /** The owner's user id. */
  uid: number;
}

export interface AscRemoveOptions {
  /**
   * Copy the content to the backup folder first. Turn it off only for a file this apply made itself and
   * that holds nothing of the user's (a half-written download). @defaultValue true
   */
  backup?: boolean;
}

/**
 * File access: the only way a task reads or changes the Mac's files. Writes are atomic, keep the mode,
 * and back up the old content first; in plan mode (and `status`, `doctor`) every method that changes
 * something refuses with `E_PLAN_WRITE`, and the ones that only look work as usual.
 */
export interface AscFiles {
  /** The file's text, or undefined when it does not exist. Text that is not UTF-8 is an error. */
  read(path: string): Promise<string | undefined>;
  /** The file's bytes (a binary plist, an archive's head), or undefined when it does not exist. */
  readBytes(path: string): Promise<Uint8Array | undefined>;
  /** What the path leads to, symlinks followed; undefined when nothing is there (or a link dangles). */
  stat(path: string): Promise<AscFileInfo | undefined>;
  /** What the path itself is, a symlink not followed; undefined when nothing is there. */
  lstat(path: string): Promise<AscFileInfo | undefined>;
  /** The target a symlink holds, as written in it; undefined when the path is not a symlink. */
  readlink(path: string): Promise<string | undefined>;
  /** The path with every symlink resolved; undefined when it (or what a link points at) does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** Replace the file's content (atomic, with backup); refused in plan mode. Writes through a symlink. */
  write(path: string, content: string, options?: AscWriteOptions): Promise<AscWriteResult>;
  /**
   * A unified diff from the file's current content to `desired` (undefined: the file removed), or
   * undefined when nothing would change.
   */
  diff(path: string, desired: string | undefined): Promise<string | undefined>;
  /**
   * Remove the file (a symlink itself, not its target), after copying its content to the backup folder;
   * refused in plan mode. `changed` is false when there was nothing to remove.
   */
  remove(path: string, options?: AscRemoveOptions): Promise<AscWriteResult>;
  /**
   * Copy the file into this run's backup folder (never beside it) before something other than asc
   * rewrites it (a tool's own command); returns where, or undefined when the file does not exist.
   * Refused in plan mode.
   */
  backup(path: string): Promise<string | undefined>;
  /**
   * Make `path` a symlink to `target`: a new link renamed over the old one (atomic), its folder created
   * when missing; the old link is kept in the backup folder. Only a symlink is replaced: anything else
   * at `path` is an error (`E_REFUSED`). `changed` is false when it already points there. Refused in
   * plan mode.
   */
  symlink(target: string, path: string): Promise<AscWriteResult>;
  /** Create the folder and its parents (`mode` for the ones made, default 0o755). Refused in plan mode. */
  mkdir(path: string, options?: { mode?: number }): Promise<AscWriteResult>;
  /**
   * Move a file to a new path on the same volume, in one step (rename(2)): a file already at `to` is
   * backed up, then replaced. Refused in plan mode.
   */
  rename(from: string, to: string): Promise<AscWriteResult>;
  /**
   * Remove a folder and everything in it, after copying it to the backup folder (links copied as links).
   * `changed` is false when there was nothing to remove. Refused in plan mode.
   */
  removeDir(path: string): Promise<AscWriteResult>;
}

export interface AscLog {
  /** A line under the task in the tree. */
  info(message: string): void;
  warn(message: string): void;
  /** Shown with `--verbose` only. */
  debug(message: string): void;
}

/** How a row of `asc doctor` came out: `fail` makes doctor exit 1, `warn` does not. */
export type AscDoctorStatus = 'ok' | 'warn' | 'fail';

/** What one doctor check found. */
export interface AscDoctorFinding {
  status: AscDoctorStatus;
  /** What was found, in a few words ("Colima's daemon answers at ~/.colima/default/docker.sock"). */
  message: string;
  /** For `warn` and `fail`: the exact fix, a command to run or a line to add. */
  fix?: string;
}

/** One row of `asc doctor`. It runs with a read-only context and shares the run's cached facts. */
export interface AscDoctorCheck {
  /** Id inside its plugin; the row's id is `<plugin>.<id>`. */
  id: string;
  /** What the row is about ("Colima's Docker daemon"). @defaultValue the full id */
  title?: string;
  /** Look, never change: exec.run, guest.run, files.write and state.set refuse, as in plan mode. */
  run(t: AscTaskContext): Promise<AscDoctorFinding>;
}

/** One archive `asc backup --list` shows. */
export interface AscBackupArchive {
  /** Its path on the Mac. */
  file: string;
  bytes: number;
  created: Date;
}

/**
 * What a plugin gives `asc backup` and `asc restore` (its `backups` hook). They run it with a run-mode
 * context under the run lock; `asc backup --list` with a read-only one.
 */
export interface AscBackups {
  /** The folder on the Mac the archives live in. */
  folder(t: AscTaskContext): string;
  /** Take one backup now and verify it; returns what was made, in a few words. Throw to fail. */
  create(t: AscTaskContext, progress: (bytes: number) => void): Promise<string>;
  /**
   * Put an archive back into the running VM (the newest when `archive` is undefined): asks with
   * `t.confirm`, never replaces anything it did not archive first. Returns what it did.
   */
  restore(t: AscTaskContext, archive: string | undefined): Promise<string>;
  /** The archives that count, newest first. */
  list(t: AscTaskContext): Promise<AscBackupArchive[]>;
}

/** The resolved global config that every plugin receives (read-only). */
export interface AscResolvedConfig {
  /** The Lima instance name. @defaultValue 'default' */
  readonly instance: string;
  /** The config file, or undefined when asc runs on its built-in defaults. */
  readonly file: string | undefined;
  /** The folder user tasks run in: the config file's folder, or the current folder. */
  readonly dir: string;
}

/**
 * How to get a program a plugin runs, said when it is missing: `{ install: 'brew install lima' }` gives
 * "limactl not found: install it with `brew install lima`"; `{ macOS: '/usr/bin/plutil' }`, for a program
 * that ships with macOS, gives "plutil not found: macOS ships it as /usr/bin/plutil; is /usr/bin on PATH?".
 */
export type AscToolHint = { install: string } | { macOS: string };

/** What a plugin's hooks get besides its own options. */
export interface AscPluginContext {
  readonly config: AscResolvedConfig;
  readonly home: string;
  /** In `tasks` and `handlers`: the merged VM spec (read-only). */
  readonly vm: Readonly<AscVmSpec>;
  /**
   * The enabled plugins' names, in config order: which task ids exist (`docker` → `docker.works`). asc always
   * gives it; it is optional so that a context made by hand in a test may leave it out.
   */
  readonly plugins?: readonly string[];
  /**
   * Every enabled plugin's agents (empty in the `vm` and `agents` hooks), for the launchd plugin to register.
   * asc always gives it; optional like `plugins`.
   */
  readonly agents?: readonly AscAgentSpec[];
}

/**
 * One time of a schedule, as launchd's `StartCalendarInterval` reads it: a key left out matches every value
 * (`{ minute: 30 }` is every hour at :30, `{ hour: 3, minute: 0 }` every day at 03:00). A time missed while
 * the Mac slept is run once at wake (launchd.plist(5)).
 */
export interface AscCalendarInterval {
  /** 0–59 */
  minute?: number;
  /** 0–23 */
  hour?: number;
  /** Day of the month, 1–31. */
  day?: number;
  /** 0–7, 0 and 7 are Sunday. */
  weekday?: number;
  /** 1–12 */
  month?: number;
}

/**
 * A scheduled run of asc that a plugin asks for, such as `asc backup` every day. The launchd plugin alone
 * turns each into a LaunchAgent (as the lima plugin alone turns the VM spec into lima.yaml): it owns the
 * plist, its log and its removal. Without the launchd plugin, or off a Mac, nothing is scheduled.
 */
export interface AscAgent {
  /** Id inside its plugin (lower-case words); the LaunchAgent's label is `io.ascalon.<instance>.<plugin>.<id>`. */
  id: string;
  /** What it does, in a few words, for `asc list`, `plan` and `doctor` ("back up the guest home"). */
  title: string;
  /**
   * asc's arguments, after `asc`: `['backup', '--unattended']`. The agent runs them with the config asc runs
   * with now (`--config <file>`, in its folder). Nobody reads its output but its log, and nobody answers a
   * question: the command should be quiet and never wait (`--unattended`).
   */
  args: string[];
  /** When launchd starts it: one or more calendar times (StartCalendarInterval). At least one. */
  schedule: AscCalendarInterval[];
}

/** An agent as collected: with the plugin that asked for it. */
export interface AscAgentSpec extends AscAgent {
  readonly plugin: string;
}

/** A plugin: a plain object made with `definePlugin`. */
export interface AscPlugin<Options = Record<string, unknown>> {
  /** Its key under `plugins:` and the prefix of its task ids (`lima` → `lima.running`). */
  name: string;
  /** One line for `asc list`. */
  description?: string;
  /** Schema of its options; defaults apply when the user writes `true` or `{}`. */
  options?: z.ZodType<Options>;
  /** On in the built-in defaults, when there is no config file. @defaultValue false */
  defaultEnabled?: boolean;
  /**
   * On only with `enabled: true` in its options: its key alone (`{}`, `true`) is a config error naming
   * `plugins.<name>.enabled`, and `asc list` shows it as `disabled (opt-in)`. For plugins whose tasks
   * are disruptive (re-creating the VM). Read for built-in plugins only (an external plugin is on exactly
   * when the config names it). @defaultValue false
   */
  optIn?: boolean;
  /** Programs its tasks run, with the install hint shown when one is missing. */
  tools?: Record<string, AscToolHint>;
  /** Guest facts: name → a shell line run in the guest, all of them in one round trip per run. */
  guestFacts?: Record<string, string>;
  /** Contribute to the desired VM; called in plugin order before any task is made. */
  vm?(spec: AscVmSpec, options: Options, ctx: AscPluginContext): void;
  /**
   * Scheduled runs of asc (LaunchAgents) this plugin wants, from its options alone; called after `vm`, before
   * any task is made. The launchd plugin registers them, and removes those no plugin asks for any more.
   */
  agents?(options: Options, ctx: AscPluginContext): AscAgent[];
  /** The plugin's tasks. */
  tasks(options: Options, ctx: AscPluginContext): AscTask[];
  /** The plugin's handlers, for tasks to `notify`. */
  handlers?(options: Options, ctx: AscPluginContext): AscHandler[];
  /** Rows for `asc doctor`, beside the core's own. */
  doctor?(options: Options, ctx: AscPluginContext): AscDoctorCheck[];
  /**
   * Tasks for `asc uninstall` that undo on the Mac what this plugin's tasks did: `check` is "already
   * undone?", `apply` undoes it. Ids live in their own namespace (`<plugin>.<id>` in the uninstall plan).
   */
  uninstall?(options: Options, ctx: AscPluginContext): AscTask[];
  /** What `asc backup` and `asc restore` use: archives of the guest home on the Mac. */
  backups?(options: Options, ctx: AscPluginContext): AscBackups;
  /**
   * What `asc uninstall` leaves on purpose of what this plugin made or touched, one line each, with how
   * to remove it by hand when there is a way ("the VM default, its disk and the guest home:
   * `limactl delete default` removes them"). Printed after the uninstall's recap, under "kept, on purpose".
   */
  kept?(options: Options, ctx: AscPluginContext): string[];
}

/**
 * A built-in plugin as every command knows it before loading it: its name, description and flags, and two
 * lazy imports, so that a command loads only what it uses (docs/decisions.md, "A start-up that loads only
 * what the command uses"). Each `plugins/<name>/entry.ts` is one.
 */
export interface AscBuiltinPlugin {
  name: string;
  description: string;
  defaultEnabled?: boolean;
  optIn?: boolean;
  /** The options' schema (its module loads zod): loaded to validate a config that is not in the cache. */
  options(): Promise<z.ZodType>;
  /** The plugin itself, with its schema and everything its hooks import: loaded when it is enabled. */
  load(): Promise<AscPlugin<unknown>>;
}

/** Status of a task at the end of a command. */
export type AscTaskStatus = 'ok' | 'changed' | 'would-change' | 'failed' | 'skipped';

/** One row of the report; `--json` prints these. */
export interface AscTaskResult {
  id: string;
  /** The plugin, or the group of a user task. */
  plugin: string;
  phase: string | undefined;
  title: string;
  status: AscTaskStatus;
  reason: string | undefined;
  diff: string | undefined;
  durationMs: number;
}
