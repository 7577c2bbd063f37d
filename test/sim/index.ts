/**
 * A simulated Mac for end-to-end tests: fakes of the Mac-only tools (limactl, lima, launchctl, plutil,
 * sw_vers, uname, brew) first on the sandbox's PATH, a Homebrew prefix inside the sandbox, and a real
 * OpenSSH sshd standing in for each running Lima VM.
 * See test/sim/README.md for what is faithful and what is not.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Running, RunOptions, RunResult, Sandbox } from '../harness/sandbox.ts';
import { flakeSystem, guestPaths, OS_RELEASE, parseOsRelease } from './guest/system.mjs';
import { MUTATING_LAUNCHCTL } from './lib/launchd.mjs';
import { isAlive, killTrees, listProcesses } from './lib/procs.mjs';

const SIM_DIR = path.dirname(fileURLToPath(import.meta.url));
const BIN_DIR = path.join(SIM_DIR, 'bin');

/** The sshd the fake limactl runs for each started instance (override with FAKE_SIM_SSHD). */
export const SSHD_PATH = process.env.FAKE_SIM_SSHD ?? '/usr/sbin/sshd';
export const sshdAvailable = (): boolean => existsSync(SSHD_PATH);

/**
 * Whether this machine can show a guest its own OS: `limactl shell` binds the guest's os-release over
 * /etc/os-release in a private mount namespace, which needs root (`unshare -m`).
 */
export function guestOsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-m', '-u', 'true'], { stdio: 'ignore' }).status === 0;
}

/** What `nixos-rebuild` in the simulated guest builds from `<flakeDir>#nixosConfigurations.<host>`. */
export function simulatedFlakeSystem(
  flakeDir: string,
  host: string,
): { toplevel: string; hostName: string; lima: boolean; mutableUsers: boolean } {
  const system = flakeSystem(flakeDir, host);
  if ('error' in system) throw new Error(system.error);
  return system;
}

/** The simulated guest OS as its disk and /run say. */
export interface GuestState {
  /** `ID` of its os-release, or undefined for the plain guest (this machine). */
  os: string | undefined;
  hostname: string | undefined;
  /** The target of /run/current-system (NixOS). */
  currentSystem: string | undefined;
  /** What the next boot starts (nixos-rebuild boot). */
  bootDefault: string | undefined;
  /** Unit → state (`active`, `failed`) of the units the sim knows. */
  units: Record<string, string>;
}

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

/** A container the fake Docker daemon lists (`docker ps`): running unless State says otherwise. */
export interface FakeContainer {
  Name: string;
  Image: string;
  State?: 'running' | 'exited' | 'created';
  Status?: string;
}

export interface ColimaOptions {
  /** Colima's folder, relative to HOME: `.colima` (the default), or `.config/colima` (XDG). */
  dir?: string;
  containers?: FakeContainer[];
}

/** One request the fake Docker daemon answered. */
export interface DockerRequest {
  method: string;
  path: string;
  userAgent: string;
}

export interface GuestShellOptions {
  /**
   * Packages the guest's fake apt-get can install: package → [program name, what it runs], or several
   * programs and the versions apt knows (the last is the candidate). Installing one links the program
   * into the guest bin folder; a versioned one writes wrappers that export FAKE_PACKAGE_VERSION and
   * records the version for dpkg-query. @defaultValue none
   */
  packages?: Record<string, [program: string, target: string] | AptPackage>;
  /** Programs of this machine the guest shell must not see (until apt "installs" them). @defaultValue docker, op */
  hide?: string[];
}

/** A package of the guest's fake apt-get with its programs (name → what it runs) and versions. */
export interface AptPackage {
  programs: Record<string, string>;
  versions?: string[];
}

/**
 * The `wezterm` package of WezTerm's APT repository, at `versions` (the last is the candidate): the
 * `wezterm` CLI and a stand-in `wezterm-mux-server` (test/sim/bin/guest-wezterm*.mjs).
 */
export function weztermPackage(versions: string[]): AptPackage {
  return {
    programs: {
      wezterm: path.join(BIN_DIR, 'guest-wezterm.mjs'),
      'wezterm-mux-server': path.join(BIN_DIR, 'guest-wezterm-mux-server.mjs'),
    },
    versions,
  };
}

/** The guest's login shell as a test set it up with `setupGuestShell`. */
export interface GuestShell {
  /** First on the guest PATH: the fake sudo and apt-get, and what apt installed. */
  readonly bin: string;
  /** Every `sudo` call in the guest: argv and stdin. */
  sudoCalls(): Promise<{ argv: string[]; input: string }[]>;
  /** Packages the fake apt-get installed, in order. */
  aptInstalls(): Promise<string[]>;
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
  /** StartCalendarInterval, as an array of launchd's dictionaries. */
  calendar?: Record<string, number>[];
  environment?: Record<string, string>;
  workingDirectory?: string;
  stdoutPath?: string;
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
  /**
   * A calendar time of the job comes due: launchd runs its program once (test/sim/bin/launchd-fire.mjs),
   * with the job's environment and log, and records its exit. Resolves when the program has ended.
   */
  fire(label: string): Promise<FiredJob>;
  /** The Mac wakes: every loaded calendar job whose time passed in sleep runs once (coalesced). */
  wake(): Promise<FiredJob[]>;
}

/** What one firing did: the job ran and exited, or it was running already (a firing is then missed). */
export interface FiredJob {
  label: string;
  fired: boolean;
  exitCode?: number;
  reason?: string;
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
  /**
   * `sandbox.snapshot()` without the fakes' own logs, which read-only calls append to (limactl's,
   * launchctl's and the guest tools' call logs, the guest's loginctl and systemctl logs, the fake Docker daemon's requests), nor a folder made
   * only to hold one: equal snapshots mean asc changed nothing.
   */
  snapshot(): Promise<Map<string, string>>;
  /**
   * A fault: the next call of the fake `tool` whose argv holds `args` in this order (others allowed
   * between them) dies of SIGKILL, as a crashed or killed tool would; once, then the Mac is healthy.
   * E.g. `failAt('limactl', ['stop', 'default'])`. Only the fake limactl reads faults today.
   */
  failAt(tool: 'limactl', args: readonly string[]): Promise<void>;
  /** Both PID files of the instance point at live processes (Lima's `Running`). */
  vmRunning(name: string): Promise<boolean>;
  /** Write an instance from lima.yaml text, as `limactl create` would have; optionally start it. */
  seedInstance(name: string, limaYaml: string, options?: SeedOptions): Promise<void>;
  /** Run the fake limactl with the sandbox's environment (the call is logged like any other). */
  limactl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Make the guest disk's OS Ubuntu or NixOS (its os-release), or any os-release text. */
  setGuestOs(os: 'ubuntu' | 'nixos' | { osRelease: string }): Promise<void>;
  guestState(): Promise<GuestState>;
  /** Every call of a fake guest tool (nixos-rebuild, nix, hostnamectl, systemctl, sudo), argv first. */
  guestCalls(): Promise<string[][]>;
  /** Kill every process this sandbox's sim started (sshd, forwards, ssh masters, guest commands). Never throws. */
  stopAll(): Promise<void>;
  /**
   * What a sleep of the Mac does to a running instance (lima#5420): the ssh ControlMaster on
   * <dir>/ssh.sock dies with every socket forward riding it, the guest sockets stay behind refusing
   * connections, and the next ssh makes a new master without forwards. The VM keeps running.
   */
  sleep(name: string): Promise<void>;
  /** Start Colima: its fake Docker daemon on `<dir>/default/docker.sock`. Returns the socket path. */
  startColima(options?: ColimaOptions): Promise<string>;
  /** Stop Colima (the socket goes away), or `crash` it: the socket file stays, nothing answers. */
  stopColima(options?: { crash?: boolean }): Promise<void>;
  /** The requests the fake Docker daemon answered, in order. */
  dockerRequests(): Promise<DockerRequest[]>;
  /** The 1Password items `op read op://…` knows on the Mac (and the tokens the guest's op accepts). */
  setOpItems(items: Record<string, string>): Promise<void>;
  /**
   * A guest login shell with a curated PATH (this machine's programs but `hide`), the fake `sudo` and
   * `apt-get` first, and `<guest root>/etc/profile.d/*.sh` read as Ubuntu's /etc/profile reads its own.
   * It writes `<guest home>/.profile`; the instance need not exist yet.
   */
  setupGuestShell(name: string, options?: GuestShellOptions): Promise<GuestShell>;
  /** `brew --prefix`: `<sandbox root>/opt/homebrew`, laid out as Homebrew does (`bin/limactl` → `../Cellar/lima/<v>/bin/limactl`). */
  readonly brewPrefix: string;
  /** `~/Library/LaunchAgents` */
  readonly launchAgents: string;
  /** `brew upgrade lima` (and its cleanup): a new Cellar version, the links moved to it, the old one removed. */
  brewUpgradeLima(version: string): Promise<void>;
  /** Run the fake launchctl with the sandbox's environment (logged like any other call). */
  launchctl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Put WezTerm's CLI on PATH, as `brew install --cask wezterm` links it: the fake `wezterm`
   * (test/sim/bin/wezterm.mjs) evaluates the user's config in a real Lua VM. `version` is what
   * `wezterm --version` reports.
   */
  installWezterm(options?: { version?: string }): Promise<void>;
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

  const opItems = path.join(sandbox.root, 'op-items.json');
  await writeFile(opItems, '{}\n');
  await sandbox.addBin(
    'colima',
    `#!/bin/sh\n# The fake colima of the simulated Mac: test/sim/bin/colima\nexec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, 'colima'))} "$@"\n`,
  );
  const opWrapper = [
    '#!/bin/sh',
    '# The fake 1Password CLI of the simulated Mac: test/sim/bin/op',
    `FAKE_OP_ITEMS=${shq(opItems)}`,
    'export FAKE_OP_ITEMS',
    `exec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, 'op'))} "$@"`,
    '',
  ].join('\n');
  await sandbox.addBin('op', opWrapper);

  const dockerState = path.join(sandbox.root, 'docker-state.json');
  const dockerLog = path.join(sandbox.root, 'docker-requests.log');
  let colima: Running | undefined;

  // Where a LaunchAgent's PATH finds each tool on a Mac: the Mac's own tools in /usr/bin and /bin (here
  // macos-bin, which the fake launchd puts before them), Homebrew's in its prefix (linked as Homebrew links).
  const macosBin = path.join(sandbox.root, 'macos-bin');
  for (const tool of ['launchctl', 'plutil', 'uname', 'sw_vers'])
    await relink(path.join(macosBin, tool), path.join(sandbox.bin, tool));
  for (const tool of ['brew', 'colima', 'op', 'lima'])
    await relink(path.join(brewPrefix, 'bin', tool), path.join(sandbox.bin, tool));
  const fire = async (label: string): Promise<FiredJob> => {
    const result = await sandbox.exec(process.execPath, [path.join(BIN_DIR, 'launchd-fire.mjs'), label], {
      env: { FAKE_SIM_ROOT: sandbox.root, FAKE_SIM_HOME: sandbox.home, FAKE_SIM_TMP: sandbox.tmp },
    });
    if (result.exitCode !== 0) throw new Error(`launchd.fire(${label}): ${result.stderr.trim()}`);
    return JSON.parse(result.stdout) as FiredJob;
  };

  const guestHome = async (name: string) => {
    let created = '';
    try {
      created = (await readFile(path.join(instanceDir(name), 'lima-version'), 'utf8')).trim();
    } catch {}
    const major = /^v?(\d+)\.(\d+)/.exec(created);
    const old = major !== null && (Number(major[1]) < 2 || (Number(major[1]) === 2 && Number(major[2]) < 1));
    return path.join(guestRoot, 'home', `${user}${old ? '.linux' : '.guest'}`);
  };

  return {
    async installWezterm({ version } = {}) {
      await sandbox.addBin(
        'wezterm',
        [
          '#!/bin/sh',
          '# The fake wezterm CLI of the simulated Mac: test/sim/bin/wezterm.mjs',
          ...(version ? [`FAKE_WEZTERM_VERSION=${shq(version)}`, 'export FAKE_WEZTERM_VERSION'] : []),
          `exec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, 'wezterm.mjs'))} "$@"`,
          '',
        ].join('\n'),
      );
    },
    sandbox,
    limaVersion,
    user,
    limaHome,
    guestRoot,
    instanceDir,
    guestHome,
    callLog,
    async mutatingCalls() {
      return (await callLog()).filter((argv) => MUTATING_SUBCOMMANDS.has(subcommandOf(argv) ?? ''));
    },
    async clearCallLog() {
      await rm(callLogFile, { force: true });
    },
    async snapshot() {
      const files = await sandbox.snapshot();
      // The guest's loginctl and systemctl log every call, reads too; what they change is in the tree
      // (linger files, unit links) and sudo.log.
      for (const key of [...files.keys()])
        if (/(calls|requests)\.log$|^guest\/(loginctl|systemctl)\.log$/.test(key)) files.delete(key);
      for (const key of [...files.keys()].reverse()) {
        if (key.endsWith('/') && ![...files.keys()].some((other) => other !== key && other.startsWith(key)))
          files.delete(key);
      }
      return files;
    },
    async failAt(tool, args) {
      const file = path.join(sandbox.root, 'faults.json');
      const faults = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as unknown[];
      await writeFile(file, JSON.stringify([...faults, { tool, args }]));
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
    async setGuestOs(os) {
      const file = guestPaths(guestRoot).osRelease;
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, typeof os === 'string' ? OS_RELEASE[os] : os.osRelease);
    },
    async guestState() {
      const p = guestPaths(guestRoot);
      const text = (file: string) =>
        readFile(file, 'utf8').then(
          (t) => t.trim(),
          () => undefined,
        );
      const units: Record<string, string> = {};
      for (const name of await readdir(p.units).catch(() => [] as string[])) {
        units[name.replace(/\.service$/, '')] = (await text(path.join(p.units, name))) ?? '';
      }
      return {
        os: parseOsRelease((await text(p.osRelease)) ?? '').ID,
        hostname: await text(p.hostname),
        currentSystem: await readlink(p.currentSystem).catch(() => undefined),
        bootDefault: await text(p.bootDefault),
        units,
      };
    },
    async guestCalls() {
      const log = await readFile(path.join(sandbox.root, '.fake-guest-calls.log'), 'utf8').catch(() => '');
      return log
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as string[]);
    },
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
      fire,
      async wake() {
        const jobs = (await launchdState()).jobs;
        const due = Object.keys(jobs).filter((label) => jobs[label]?.calendar);
        return Promise.all(due.map(fire));
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
    async sleep(name) {
      const dir = instanceDir(name);
      const control = path.join(dir, 'ssh.sock');
      // The master's TCP connection does not survive the sleep: it dies without cleaning up anything.
      const masters = listProcesses().filter((p) => !p.zombie && p.cmdline.includes(control));
      for (const p of masters) process.kill(p.pid, 'SIGKILL');
      await until(() => masters.every((p) => !isAlive(p.pid)), 'the ssh master to die');
      // sshd's side of the dead connection goes too; its socket files stay, and refuse connections.
      const forwarded = (await readFile(path.join(dir, 'fake-forwards'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean);
      for (const socket of forwarded) {
        await until(async () => (await connects(socket)) === false, `${socket} to stop answering`);
      }
      // The next ssh through ssh.config (ControlMaster auto, ControlPersist yes) starts a new master.
      const ssh = await sandbox.exec('ssh', ['-F', path.join(dir, 'ssh.config'), hostAlias(name), 'true']);
      if (ssh.exitCode !== 0) throw new Error(`sleep: no new ssh master for ${name}: ${ssh.stderr}`);
    },
    async startColima(options = {}) {
      if (colima) throw new Error('startColima: Colima already runs');
      const dir = path.join(sandbox.home, options.dir ?? '.colima');
      const socket = path.join(dir, 'default', 'docker.sock');
      const pidFile = path.join(dir, '_lima', 'colima', 'ha.pid');
      await mkdir(path.dirname(socket), { recursive: true });
      await mkdir(path.dirname(pidFile), { recursive: true });
      await writeFile(dockerState, JSON.stringify({ containers: options.containers ?? [] }));
      const running = sandbox.spawn(process.execPath, [
        path.join(SIM_DIR, 'lib', 'docker-api.mjs'),
        socket,
        pidFile,
        dockerState,
        dockerLog,
      ]);
      await running.waitFor(/listening on /);
      colima = running;
      return socket;
    },
    async stopColima(options = {}) {
      const running = colima;
      if (!running) throw new Error('stopColima: Colima does not run');
      colima = undefined;
      running.signal(options.crash ? 'SIGKILL' : 'SIGTERM');
      await running.result;
    },
    async dockerRequests() {
      const text = await readFile(dockerLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as DockerRequest);
    },
    async setOpItems(items) {
      await writeFile(opItems, `${JSON.stringify(items)}\n`);
    },
    async setupGuestShell(name, options = {}) {
      const hide = new Set(options.hide ?? ['docker', 'op']);
      const bin = path.join(guestRoot, 'bin');
      const usrBin = path.join(guestRoot, 'usr', 'bin');
      const profileD = path.join(guestRoot, 'etc', 'profile.d');
      await Promise.all([bin, usrBin, profileD].map((d) => mkdir(d, { recursive: true })));
      // This machine's programs, but the hidden ones: the guest PATH names no other folder.
      const seen = new Set<string>();
      for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
        let names: string[] = [];
        try {
          names = readdirSync(dir);
        } catch {}
        for (const entry of names) {
          if (hide.has(entry) || seen.has(entry)) continue;
          const target = path.join(dir, entry);
          try {
            if (!statSync(target).isFile()) continue;
          } catch {
            continue;
          }
          seen.add(entry);
          await symlink(target, path.join(usrBin, entry)).catch(() => undefined);
        }
      }
      const settings = [
        `FAKE_GUEST_ROOT=${shq(guestRoot)}`,
        `FAKE_GUEST_BIN=${shq(bin)}`,
        `FAKE_SIM_ROOT=${shq(sandbox.root)}`,
        'export FAKE_GUEST_ROOT FAKE_GUEST_BIN FAKE_SIM_ROOT',
      ];
      const wrapper = (script: string, extra: string[] = []) =>
        [
          '#!/bin/sh',
          `# Fake of the simulated guest: test/sim/bin/${script}`,
          ...settings,
          ...extra,
          `exec ${shq(process.execPath)} ${shq(path.join(BIN_DIR, script))} "$@"`,
          '',
        ].join('\n');
      const packages = Object.fromEntries(
        Object.entries(options.packages ?? {}).map(([pkg, spec]) => [
          pkg,
          Array.isArray(spec) ? { programs: { [spec[0]]: spec[1] } } : spec,
        ]),
      );
      await writeFile(path.join(bin, 'sudo'), wrapper('guest-sudo.mjs'), { mode: 0o755 });
      // Ubuntu's systemd and dpkg, as far as asc uses them: the user manager, lingering, the package database.
      for (const [tool, script] of [
        ['systemctl', 'guest-systemctl.mjs'],
        ['loginctl', 'guest-loginctl.mjs'],
        ['dpkg-query', 'guest-dpkg-query.mjs'],
      ] as const) {
        await writeFile(path.join(bin, tool), wrapper(script), { mode: 0o755 });
      }
      await writeFile(
        path.join(bin, 'apt-get'),
        wrapper('guest-apt-get.mjs', [
          `FAKE_APT_PACKAGES=${shq(JSON.stringify(packages))}`,
          'export FAKE_APT_PACKAGES',
        ]),
        { mode: 0o755 },
      );
      const home = await guestHome(name);
      await mkdir(home, { recursive: true });
      await writeFile(
        path.join(home, '.profile'),
        [
          '# The simulated guest login shell (test/sim setupGuestShell): a curated PATH, and profile.d as',
          "# Ubuntu's /etc/profile reads it.",
          `PATH=${shq(`${bin}:${usrBin}`)}`,
          'export PATH',
          `for f in ${shq(profileD)}/*.sh; do [ -r "$f" ] && . "$f"; done`,
          '',
        ].join('\n'),
      );
      const lines = async (file: string) =>
        (await readFile(path.join(guestRoot, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      return {
        bin,
        sudoCalls: async () => (await lines('sudo.log')).map((line) => JSON.parse(line)),
        aptInstalls: () => lines('apt.log'),
      };
    },
  };
}

/** Lima's host alias: `lima-` + the name with `.` and `_` turned into `-` (pkg/instance/hostname). */
const hostAlias = (name: string) => `lima-${name.replace(/[._]/g, '-')}`;

/** Whether a unix socket accepts a connection right now. */
function connects(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Poll (bounded: a safety net, never a threshold) until `check` holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
