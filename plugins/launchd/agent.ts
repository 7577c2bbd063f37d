import { createHash } from 'node:crypto';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AscError, type AscTaskContext } from '../../src/index.ts';

/** The two registrations that can start the VM at login; exactly one of them should exist. */
export interface AgentPaths {
  /** asc's own LaunchAgent (plist mode), also the label of the hand-made legacy plist. */
  ours: { label: string; file: string };
  /** Lima's own autostart (lima mode), written by `limactl autostart enable` / `start-at-login`. */
  lima: { label: string; file: string };
}

export function agentPaths(home: string, instance: string): AgentPaths {
  const dir = path.join(home, 'Library', 'LaunchAgents');
  const ours = `io.lima.${instance}`;
  // pkg/autostart/launchd/launchd.go: ServiceNameFrom, GetPlistPath.
  const lima = `io.lima-vm.autostart.${instance}`;
  return {
    ours: { label: ours, file: path.join(dir, `${ours}.plist`) },
    lima: { label: lima, file: path.join(dir, `${lima}.plist`) },
  };
}

export type PlistObject = Record<string, unknown>;

/** The plist package and xmldom load on first use: `asc list` and `--help` never need them. */
const plistModule = () => import('plist');

/** A file in ~/Library/LaunchAgents as asc found it. */
export type AgentFile =
  | { exists: false }
  | {
      exists: true;
      text: string;
      sha256: string;
      mode: number;
      plist: PlistObject | undefined;
      error?: string;
    };

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const isDict = (value: unknown): value is PlistObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);

/** Read and parse a plist (XML or binary); a file that is not one keeps `plist` undefined and says why. */
export async function readAgent(t: AscTaskContext, file: string): Promise<AgentFile> {
  const [read, info] = await Promise.all([t.files.readBytes(file), t.files.stat(file)]);
  if (read === undefined || info === undefined) return { exists: false };
  const bytes = Buffer.from(read);
  const mode = info.mode & 0o777;
  const text = bytes.toString('utf8');
  const found = { exists: true as const, text, sha256: sha256(text), mode };
  try {
    const value =
      bytes.subarray(0, 8).toString('latin1') === 'bplist00'
        ? (await plistModule()).parseBinary(bytes)
        : await parseXmlPlist(text);
    if (!isDict(value)) return { ...found, plist: undefined, error: 'its top level is not a dictionary' };
    return { ...found, plist: value };
  } catch (error) {
    return { ...found, plist: undefined, error: `not a property list (${firstLine(error)})` };
  }
}

/**
 * An XML plist. The `plist` package leaves xmldom to print parse errors on stderr (console.error), so the
 * XML is first checked for well-formedness, quietly, with xmldom's own error callback.
 */
export async function parseXmlPlist(text: string): Promise<unknown> {
  if (!/<plist[\s>]/.test(text)) throw new Error('no <plist> element');
  const [{ DOMParser }, { parse }] = await Promise.all([import('@xmldom/xmldom'), plistModule()]);
  const problems: string[] = [];
  try {
    new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') problems.push(message);
      },
    }).parseFromString(text, 'text/xml');
  } catch (error) {
    if (problems.length === 0) problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new Error(problems[0]);
  return parse(text);
}

/** `ProgramArguments`, or `Program` alone; [] when neither is there. */
export function programArguments(plist: PlistObject | undefined): string[] {
  if (!plist) return [];
  if (Array.isArray(plist.ProgramArguments)) return plist.ProgramArguments.map(String);
  return typeof plist.Program === 'string' ? [plist.Program] : [];
}

/**
 * A common hand-made plist (`io.lima.<inst>`, plain `limactl start <inst>`, loaded with the legacy
 * `launchctl load`): a known broken registration asc was written to replace. Without `--foreground`,
 * `limactl start` exits once the VM boots and launchd kills the job's process group, host agent included
 * before Lima 1.0 (lima#2142).
 */
export function isLegacyPlist(plist: PlistObject | undefined, label: string, instance: string): boolean {
  if (!plist || plist.Label !== label) return false;
  const args = programArguments(plist);
  if (path.basename(args[0] ?? '') !== 'limactl' || args[1] !== 'start') return false;
  const rest = args.slice(2);
  if (rest.includes('--foreground')) return false;
  const names = rest.filter((arg) => !arg.startsWith('-'));
  return names.length === 0 ? instance === 'default' : names.length === 1 && names[0] === instance;
}

/** The limactl a LaunchAgent should run, with the reasons that path was chosen. */
export interface StableLimactl {
  path: string;
  /** The limactl on PATH, as asc runs it. */
  onPath: string;
}

/**
 * The limactl a LaunchAgent should run: the one on PATH, named through Homebrew's `<prefix>/bin` link when
 * that link is the same program. Never a versioned Cellar path, which the next `brew upgrade lima` removes
 * (lerd-env/lerd#1213); and absolute, because launchd runs no shell and its default PATH has no Homebrew.
 */
export async function stableLimactl(t: AscTaskContext): Promise<StableLimactl> {
  const onPath = await t.exec.which('limactl');
  if (!onPath) {
    throw new AscError('limactl not found: install it with `brew install lima`', { code: 'E_TOOL_MISSING' });
  }
  const { brewPrefix } = await t.host.facts();
  if (brewPrefix) {
    const link = path.join(brewPrefix, 'bin', 'limactl');
    if ((await isExecutable(t, link)) && (await sameFile(t, link, onPath))) return { path: link, onPath };
  }
  return { path: path.resolve(onPath), onPath };
}

/** `<prefix>/Cellar/<formula>/<version>/…`: a path that one `brew upgrade` (and its cleanup) removes. */
export function isCellarPath(file: string): boolean {
  return /\/Cellar\/[^/]+\/[^/]+\//.test(file);
}

/** A file with an execute bit (links followed), as launchd needs a job's program to be. */
export async function isExecutable(t: AscTaskContext, file: string): Promise<boolean> {
  const info = await t.files.stat(file);
  return info?.kind === 'file' && (info.mode & 0o111) !== 0;
}

async function sameFile(t: AscTaskContext, a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([t.files.realpath(a), t.files.realpath(b)]);
  return (x ?? a) === (y ?? b);
}

/** What asc's LaunchAgent is made from. */
export interface AgentSpec {
  label: string;
  instance: string;
  limactl: string;
  /** The instance folder, where the logs go. */
  instanceDir: string;
  brewPrefix: string | undefined;
  keepAlive: boolean;
  /** LIMA_HOME when asc runs with one: launchd does not pass the shell's environment on. */
  limaHome: string | undefined;
}

/** launchd's default PATH for a job (`launchctl print` shows it as `default environment`). */
const SYSTEM_PATH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/**
 * The plist asc writes in plist mode, as an object whose key order is fixed, so the same options always
 * give the same bytes. `--foreground` keeps the job alive as the VM's host agent, as Lima's own autostart
 * does. No `KeepAlive` unless asked: `KeepAlive = true` would start the VM again after every `limactl stop`;
 * `{ SuccessfulExit = false }` restarts it only after a failure.
 */
export function agentPlist(spec: AgentSpec): PlistObject {
  // Homebrew's own services put the prefix first (`std_service_path_env` in Homebrew's service.rb).
  const prefixBins = spec.brewPrefix
    ? [path.join(spec.brewPrefix, 'bin'), path.join(spec.brewPrefix, 'sbin')]
    : [];
  const dirs = new Set([...prefixBins, path.dirname(spec.limactl), ...SYSTEM_PATH]);
  const env: PlistObject = { PATH: [...dirs].join(':') };
  if (spec.limaHome) env.LIMA_HOME = spec.limaHome;
  return {
    Label: spec.label,
    ProgramArguments: [spec.limactl, 'start', spec.instance, '--foreground'],
    RunAtLoad: true,
    ...(spec.keepAlive ? { KeepAlive: { SuccessfulExit: false } } : {}),
    EnvironmentVariables: env,
    StandardOutPath: path.join(spec.instanceDir, 'launchd.stdout.log'),
    StandardErrorPath: path.join(spec.instanceDir, 'launchd.stderr.log'),
    ProcessType: 'Background',
  };
}

/** The plist's XML, tab-indented as Apple's tools write it, with a comment that says who wrote it. */
export async function agentText(plist: PlistObject): Promise<string> {
  const { build } = await plistModule();
  const built = build(plist as Parameters<typeof build>[0], { indent: '\t', pretty: true });
  // The dict starts at the left margin under <plist>, as in the files Apple's and Lima's tools write.
  const xml = built.replace(/^\t/gm, '');
  const note =
    '<!-- Written by asc (ascalon), launchd plugin: change .ascrc.yaml and run `asc run launchd`, not this file. -->';
  return `${xml.replace(/(<!DOCTYPE[^>]*>\n)/, `$1${note}\n`)}\n`;
}

/**
 * The validator for t.files.write: the new file parses back, with the `plist` package, to exactly the object
 * asc built; on macOS `plutil -lint` must accept it too.
 */
export function validateAgent(t: AscTaskContext, plist: PlistObject): (temp: string) => Promise<void> {
  return async (temp) => {
    const parsed = await parseXmlPlist((await t.files.read(temp)) ?? '');
    if (!isDeepStrictEqual(parsed, plist)) {
      throw new Error('the plist does not parse back to what asc built');
    }
    if ((await t.host.facts()).platform === 'darwin') {
      await t.exec.query('plutil', ['-lint', temp], { timeoutMs: 15_000 });
    }
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
}
