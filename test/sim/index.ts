/**
 * A simulated Mac for end-to-end tests: fakes of the Mac-only tools (limactl, lima, launchctl, plutil,
 * sw_vers, uname, brew) first on the sandbox's PATH, a Homebrew prefix inside the sandbox, and a real
 * OpenSSH sshd standing in for each running Lima VM.
 * See test/sim/README.md for what is faithful and what is not.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunOptions, RunResult, Sandbox } from '../harness/sandbox.ts';
import { MUTATING_LAUNCHCTL } from './lib/launchd.mjs';
import { isAlive, killTrees } from './lib/procs.mjs';

const SIM_DIR = path.dirname(fileURLToPath(import.meta.url));
const BIN_DIR = path.join(SIM_DIR, 'bin');

/** The sshd the fake limactl runs for each started instance (override with FAKE_SIM_SSHD). */
export const SSHD_PATH = process.env.FAKE_SIM_SSHD ?? '/usr/sbin/sshd';
export const sshdAvailable = (): boolean => existsSync(SSHD_PATH);

/** Subcommands that change Lima's state (the rest only read it, or run commands in the guest). */
export const MUTATING_SUBCOMMANDS: ReadonlySet<string> = new Set([
  'create',
  'start',
  'stop',
  'restart',
  'edit',
  'delete',
  'rm',
  'remove',
  'clone',
  'rename',
  'factory-reset',
  'prune',
  'protect',
  'unprotect',
  'snapshot',
  'disk',
  'start-at-login',
  'autostart',
]);

export interface SimulatedMacOptions {
  /** `limactl --version`, and the lima-version written by create. @defaultValue '2.2.0' */
  limaVersion?: string;
  /** The guest user's name ({{.User}}, `<user>.guest`); ssh logs in as the OS user regardless. */
  user?: string;
  /** `sw_vers -productVersion`. @defaultValue '15.5' */
  macosVersion?: string;
  /**
   * Refuse create/start/edit/restart without --tty=false (or --yes), as a terminal user would get a menu
   * or an editor from real limactl. @defaultValue true
   */
  strictTty?: boolean;
}

export interface SeedOptions {
  /** Start it (a real sshd) after writing it. @defaultValue false */
  running?: boolean;
  /** Its lima-version file (decides the guest home, `.linux` before 2.1.0). @defaultValue the sim's version */
  limaVersion?: string;
}

/** A job as the fake launchd keeps it (test/sim/lib/launchd.mjs). */
export interface LaunchdJob {
  path: string;
  program: string;
  arguments: string[];
  runAtLoad: boolean;
  keepAlive: unknown;
  state: 'running' | 'not running';
  pid?: number;
  runs: number;
  /** null: never exited */
  lastExitCode: number | null;
  loadedBy: 'bootstrap' | 'load';
}

/** The fake launchd: the user's gui/<uid> domain, kept in `<sandbox root>/launchd/state.json`. */
export interface SimulatedLaunchd {
  /** Every launchctl call's argv (limactl's own `launchctl enable` too), in order. */
  calls(): Promise<string[][]>;
  /** The calls whose subcommand changes launchd's state (bootstrap, bootout, enable, disable, load…). */
  mutatingCalls(): Promise<string[][]>;
  clearCalls(): Promise<void>;
  /** Loaded jobs by label. */
  jobs(): Promise<Record<string, LaunchdJob>>;
  /** Labels with a `launchctl enable`/`disable` override: true = disabled. */
  disabled(): Promise<Record<string, boolean>>;
  /** What each job start would have run (the fake never runs it), in order. */
  launched(): Promise<{ label: string; argv: string[] }[]>;
  /** Change a loaded job, e.g. `{ state: 'not running', lastExitCode: 1 }` for a job that exited. */
  setJob(label: string, change: Partial<LaunchdJob>): Promise<void>;
}

export interface SimulatedMac {
  readonly sandbox: Sandbox;
  readonly limaVersion: string;
  readonly user: string;
  /** `<HOME>/.lima` */
  readonly limaHome: string;
  /** Where guest paths live: `<sandbox root>/guest` (guest homes are `<guestRoot>/home/<user>.guest`). */
  readonly guestRoot: string;
  instanceDir(name: string): string;
  /** The guest home of an instance: `.linux` when its lima-version is below 2.1.0, else `.guest`. */
  guestHome(name: string): Promise<string>;
  /** Every limactl call's argv, in order. */
  callLog(): Promise<string[][]>;
  /** The calls whose subcommand changes Lima's state (MUTATING_SUBCOMMANDS). */
  mutatingCalls(): Promise<string[][]>;
  clearCallLog(): Promise<void>;
  /** Both PID files of the instance point at live processes (Lima's `Running`). */
  vmRunning(name: string): Promise<boolean>;
  /** Write an instance from lima.yaml text, as `limactl create` would have; optionally start it. */
  seedInstance(name: string, limaYaml: string, options?: SeedOptions): Promise<void>;
  /** Run the fake limactl with the sandbox's environment (the call is logged like any other). */
  limactl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Kill every process this sandbox's sim started (sshd, forwards, ssh masters, guest commands). Never throws. */
  stopAll(): Promise<void>;
  /** `brew --prefix`: `<sandbox root>/opt/homebrew`, laid out as Homebrew does (`bin/limactl` → `../Cellar/lima/<v>/bin/limactl`). */
  readonly brewPrefix: string;
  /** `~/Library/LaunchAgents` */
  readonly launchAgents: string;
  /** `brew upgrade lima` (and its cleanup): a new Cellar version, the links moved to it, the old one removed. */
  brewUpgradeLima(version: string): Promise<void>;
  /** Run the fake launchctl with the sandbox's environment (logged like any other call). */
  launchctl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  readonly launchd: SimulatedLaunchd;
}

const shq = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

/** The subcommand of a limactl argv: the first word that is neither a flag nor a global flag's value. */
export function subcommandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return undefined;
    if (arg === '--log-level' || arg === '--log-format') i++;
    else if (!arg.startsWith('-') || arg === '-') return arg;
  }
  return undefined;
}

export async function createSimulatedMac(
  sandbox: Sandbox,
  options: SimulatedMacOptions = {},
): Promise<SimulatedMac> {
  const limaVersion = options.limaVersion ?? '2.2.0';
  const user = options.user ?? userInfo().username;
  const limaHome = path.join(sandbox.home, '.lima');
  const guestRoot = path.join(sandbox.root, 'guest');
  const callLogFile = path.join(limaHome, '.fake-limactl-calls.log');
  const brewPrefix = path.join(sandbox.root, 'opt', 'homebrew');
  const launchdDir = path.join(sandbox.root, 'launchd');

  /** The fake limactl, as Homebrew installs it: in the Cellar, linked from the prefix's bin. */
  const installLima = async (version: string) => {
    const cellar = path.join(brewPrefix, 'Cellar', 'lima', version);
    await mkdir(path.join(cellar, 'bin'), { recursive: true });
    await writeFile(
      path.join(cellar, 'bin', 'limactl'),
      [
        '#!/bin/sh',
        '# The fake limactl of the simulated Mac: test/sim/bin/limactl.mjs',
        `: "\${FAKE_LIMACTL_VERSION:=${version}}"`,
        `: "\${FAKE_LIMACTL_STRICT_TTY:=${options.strictTty === false ? '0' : '1'}}"`,
        // os.Executable(): the path limactl was started by, as `limactl autostart` records it.
        'case "$0" in /*) FAKE_LIMACTL_EXE="$0" ;; *) FAKE_LIMACTL_EXE="$PWD/$0" ;; esac',
        `FAKE_SIM_ROOT=${shq(sandbox.root)}`,
        `FAKE_SIM_USER=${shq(user)}`,
        `FAKE_SIM_GUEST_ROOT=${shq(guestRoot)}`,
        'export FAKE_LIMACTL_VERSION FAKE_LIMACTL_STRICT_TTY FAKE_LIMACTL_EXE FAKE_SIM_ROOT FAKE_SIM_USER FAKE_SIM_GUEST_ROOT',
        `exec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, 'limactl.mjs'))} "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await relink(path.join(brewPrefix, 'bin', 'limactl'), `../Cellar/lima/${version}/bin/limactl`);
    await relink(path.join(brewPrefix, 'opt', 'lima'), `../Cellar/lima/${version}`);
  };
  await installLima(limaVersion);
  // The sandbox's bin/ comes first on PATH; its limactl is a link to the prefix's, as a shell finds
  // /opt/homebrew/bin/limactl on a real Mac.
  await relink(path.join(sandbox.bin, 'limactl'), path.join(brewPrefix, 'bin', 'limactl'));
  for (const tool of ['lima', 'uname']) {
    await sandbox.addBin(tool, await readFile(path.join(BIN_DIR, tool), 'utf8'));
  }
  await sandbox.addBin(
    'brew',
    [
      '#!/bin/sh',
      `: "\${FAKE_BREW_PREFIX:=${brewPrefix}}"`,
      'export FAKE_BREW_PREFIX',
      `exec /bin/sh ${shq(path.join(BIN_DIR, 'brew'))} "$@"`,
      '',
    ].join('\n'),
  );
  for (const tool of ['launchctl', 'plutil']) {
    await sandbox.addBin(
      tool,
      [
        '#!/bin/sh',
        `# The fake ${tool} of the simulated Mac: test/sim/bin/${tool}.mjs`,
        `FAKE_SIM_ROOT=${shq(sandbox.root)}`,
        'export FAKE_SIM_ROOT',
        `exec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, `${tool}.mjs`))} "$@"`,
        '',
      ].join('\n'),
    );
  }
  await sandbox.addBin(
    'sw_vers',
    [
      '#!/bin/sh',
      `: "\${FAKE_MACOS_VERSION:=${options.macosVersion ?? '15.5'}}"`,
      'export FAKE_MACOS_VERSION',
      `exec /bin/sh ${shq(path.join(BIN_DIR, 'sw_vers'))} "$@"`,
      '',
    ].join('\n'),
  );

  const instanceDir = (name: string) => path.join(limaHome, name);
  const limactl = (args: readonly string[], runOptions?: RunOptions) =>
    sandbox.exec(path.join(sandbox.bin, 'limactl'), args, runOptions);

  const callLog = () => readJsonLines<string[]>(callLogFile);
  const launchdState = async () => {
    try {
      return JSON.parse(await readFile(path.join(launchdDir, 'state.json'), 'utf8')) as {
        jobs: Record<string, LaunchdJob>;
        disabled: Record<string, boolean>;
      };
    } catch {
      return { jobs: {}, disabled: {} };
    }
  };
  const launchctlCalls = () => readJsonLines<string[]>(path.join(launchdDir, 'calls.log'));

  return {
    sandbox,
    limaVersion,
    user,
    limaHome,
    guestRoot,
    instanceDir,
    async guestHome(name) {
      let created = '';
      try {
        created = (await readFile(path.join(instanceDir(name), 'lima-version'), 'utf8')).trim();
      } catch {}
      const major = /^v?(\d+)\.(\d+)/.exec(created);
      const old =
        major !== null && (Number(major[1]) < 2 || (Number(major[1]) === 2 && Number(major[2]) < 1));
      return path.join(guestRoot, 'home', `${user}${old ? '.linux' : '.guest'}`);
    },
    callLog,
    async mutatingCalls() {
      return (await callLog()).filter((argv) => MUTATING_SUBCOMMANDS.has(subcommandOf(argv) ?? ''));
    },
    async clearCallLog() {
      await rm(callLogFile, { force: true });
    },
    async vmRunning(name) {
      // Like store.inspect, but without removing stale PID files.
      const pidOf = async (file: string) =>
        Number.parseInt(await readFile(path.join(instanceDir(name), file), 'utf8').catch(() => ''), 10);
      return isAlive(await pidOf('ha.pid')) && isAlive(await pidOf('vz.pid'));
    },
    async seedInstance(name, limaYaml, seed = {}) {
      const dir = instanceDir(name);
      if (existsSync(dir)) throw new Error(`seedInstance: ${dir} already exists`);
      const key = path.join(limaHome, '_config', 'user');
      if (!existsSync(key)) {
        await mkdir(path.dirname(key), { recursive: true, mode: 0o700 });
        await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lima', '-f', key]);
      }
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(path.join(dir, 'lima.yaml'), limaYaml, { mode: 0o644 });
      const versionFile = path.join(dir, 'lima-version');
      await writeFile(versionFile, seed.limaVersion ?? limaVersion);
      await chmod(versionFile, 0o444);
      if (seed.running) {
        const result = await limactl(['start', '--tty=false', name], { env: { FAKE_LIMACTL_NO_LOG: '1' } });
        if (result.exitCode !== 0) {
          throw new Error(`seedInstance: could not start ${name}:\n${result.stderr}`);
        }
      }
    },
    limactl,
    brewPrefix,
    launchAgents: path.join(sandbox.home, 'Library', 'LaunchAgents'),
    async brewUpgradeLima(version) {
      const before = await readlinkOr(path.join(brewPrefix, 'opt', 'lima'));
      await installLima(version);
      if (before && before !== `../Cellar/lima/${version}`) {
        await rm(path.join(brewPrefix, 'opt', before), { recursive: true, force: true });
      }
    },
    launchctl: (args, runOptions) => sandbox.exec(path.join(sandbox.bin, 'launchctl'), args, runOptions),
    launchd: {
      calls: launchctlCalls,
      async mutatingCalls() {
        return (await launchctlCalls()).filter((argv) => MUTATING_LAUNCHCTL.has(argv[0] ?? ''));
      },
      async clearCalls() {
        await rm(path.join(launchdDir, 'calls.log'), { force: true });
      },
      jobs: async () => (await launchdState()).jobs,
      disabled: async () => (await launchdState()).disabled,
      launched: () => readJsonLines(path.join(launchdDir, 'launched.log')),
      async setJob(label, change) {
        const state = await launchdState();
        const job = state.jobs[label];
        if (!job) throw new Error(`launchd.setJob: ${label} is not loaded`);
        state.jobs[label] = { ...job, ...change };
        await writeFile(path.join(launchdDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
      },
    },
    async stopAll() {
      const marker = `${sandbox.root}${path.sep}`;
      try {
        await killTrees({ match: (p) => p.cmdline.includes(marker) || p.environ.includes(marker) });
      } catch {
        // best effort: never fail a test's cleanup
      }
    },
  };
}

async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Replace whatever is at `link` with a symbolic link to `target`. */
async function relink(link: string, target: string): Promise<void> {
  await mkdir(path.dirname(link), { recursive: true });
  await rm(link, { force: true, recursive: true });
  await symlink(target, link);
}

async function readlinkOr(link: string): Promise<string | undefined> {
  return readlink(link).catch(() => undefined);
}
