// launchd's state for the fake launchctl of the simulated Mac (test/sim): which jobs are loaded in the user's
// gui/<uid> domain, which labels are disabled, and what each loaded job's plist said. It is kept in
// <sandbox root>/launchd/state.json between calls, as launchd keeps it between launchctl invocations.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/** The sandbox root the wrapper passes in; everything the fake keeps lives under <root>/launchd. */
export function launchdDir() {
  const root = process.env.FAKE_SIM_ROOT;
  if (!root) throw new Error('fake launchctl: FAKE_SIM_ROOT is not set (run it through the sandbox wrapper)');
  return path.join(root, 'launchd');
}

const stateFile = () => path.join(launchdDir(), 'state.json');

/**
 * @typedef {object} Job
 * @property {string} path the plist it was loaded from
 * @property {string} program ProgramArguments[0] (or Program)
 * @property {string[]} arguments
 * @property {boolean} runAtLoad
 * @property {unknown} keepAlive
 * @property {string | undefined} workingDirectory
 * @property {string | undefined} stdoutPath
 * @property {string | undefined} stderrPath
 * @property {Record<string, string>} environment
 * @property {Record<string, number>[] | undefined} calendar StartCalendarInterval, always as an array
 * @property {'running' | 'not running'} state
 * @property {number | undefined} pid
 * @property {number} runs
 * @property {number | null} lastExitCode null: never exited
 * @property {'bootstrap' | 'load'} loadedBy
 */

/** @returns {{ jobs: Record<string, Job>, disabled: Record<string, boolean>, racing: Record<string, boolean>, nextPid: number }} */
export function readState() {
  try {
    return { racing: {}, nextPid: 40001, ...JSON.parse(readFileSync(stateFile(), 'utf8')) };
  } catch {
    return { jobs: {}, disabled: {}, racing: {}, nextPid: 40001 };
  }
}

export function writeState(state) {
  mkdirSync(launchdDir(), { recursive: true });
  const temp = `${stateFile()}.${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, stateFile());
}

/** Every call's argv, one JSON array per line, for tests that assert "no mutating launchctl call". */
export function logCall(argv) {
  if (process.env.FAKE_LAUNCHCTL_NO_LOG === '1') return;
  mkdirSync(launchdDir(), { recursive: true });
  writeFileSync(path.join(launchdDir(), 'calls.log'), `${JSON.stringify(argv)}\n`, { flag: 'a' });
}

/** What a started job would run, one JSON line per start (the fake never runs it: see README). */
export function logLaunch(label, argv) {
  writeFileSync(path.join(launchdDir(), 'launched.log'), `${JSON.stringify({ label, argv })}\n`, {
    flag: 'a',
  });
}

/**
 * A property list file as launchd reads it: XML or binary (`bplist00`); throws on anything else. The parser
 * loads on first use: most launchctl calls (print, enable) never need it.
 */
export async function readPlist(file) {
  const bytes = readFileSync(file);
  const [{ DOMParser }, { parse, parseBinary }] = await Promise.all([
    import('@xmldom/xmldom'),
    import('plist'),
  ]);
  if (bytes.subarray(0, 8).toString('latin1') === 'bplist00') return parseBinary(bytes);
  const text = bytes.toString('utf8');
  if (!/<plist[\s>]/.test(text)) throw new Error('not an XML property list');
  // The plist package lets xmldom print parse errors on stderr: check well-formedness quietly first.
  const problems = [];
  try {
    new DOMParser({
      onError: (level, message) => level !== 'warning' && problems.push(message),
    }).parseFromString(text, 'text/xml');
  } catch (error) {
    if (problems.length === 0) problems.push(error.message);
  }
  if (problems.length > 0) throw new Error(problems[0]);
  const value = parse(text);
  if (value === undefined) throw new Error('empty property list');
  return value;
}

const isDict = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** The job launchd would make from a plist, or an error string when it would not accept it. */
export async function jobFromPlist(file) {
  let plist;
  try {
    plist = await readPlist(file);
  } catch {
    return { error: 'invalid' };
  }
  if (!isDict(plist) || typeof plist.Label !== 'string' || plist.Label === '') return { error: 'invalid' };
  const args = Array.isArray(plist.ProgramArguments) ? plist.ProgramArguments.map(String) : [];
  const program = typeof plist.Program === 'string' ? plist.Program : args[0];
  if (!program) return { error: 'invalid' };
  return {
    label: plist.Label,
    job: {
      path: file,
      program,
      arguments: args.length > 0 ? args : [program],
      runAtLoad: plist.RunAtLoad === true,
      keepAlive: plist.KeepAlive ?? false,
      workingDirectory: typeof plist.WorkingDirectory === 'string' ? plist.WorkingDirectory : undefined,
      stdoutPath: typeof plist.StandardOutPath === 'string' ? plist.StandardOutPath : undefined,
      stderrPath: typeof plist.StandardErrorPath === 'string' ? plist.StandardErrorPath : undefined,
      environment: isDict(plist.EnvironmentVariables)
        ? Object.fromEntries(Object.entries(plist.EnvironmentVariables).map(([k, v]) => [k, String(v)]))
        : {},
      calendar: calendarOf(plist.StartCalendarInterval),
      state: 'not running',
      pid: undefined,
      runs: 0,
      lastExitCode: null,
    },
  };
}

/**
 * StartCalendarInterval: a dictionary of integers or an array of them (launchd.plist(5)); keys Minute, Hour,
 * Day, Weekday, Month. Anything else in it launchd ignores, and so does the fake.
 */
function calendarOf(value) {
  const entries = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const times = entries
    .filter(isDict)
    .map((time) =>
      Object.fromEntries(
        Object.entries(time).filter(
          ([key, v]) => ['Minute', 'Hour', 'Day', 'Weekday', 'Month'].includes(key) && Number.isInteger(v),
        ),
      ),
    );
  return times.length > 0 ? times : undefined;
}

/** launchctl(1): agents' plists "must disallow group and world writes" and belong to the user. */
export function badOwnership(stat) {
  return (stat.mode & 0o022) !== 0 || stat.uid !== process.getuid();
}

/** launchd's default PATH for a job that sets none (`launchctl print` shows it as default environment). */
export const DEFAULT_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

/**
 * Start a loaded job, as RunAtLoad (or KeepAlive) does at bootstrap. The fake never runs the program: it
 * records what would run (launched.log) and keeps the job `running`, which is what a `--foreground` process
 * does. A program launchd cannot exec (missing, not executable, not on the job's PATH) fails the spawn
 * with 78 (EX_CONFIG), as launchd reports it. Tests change a job's outcome with SimulatedMac.launchd.setJob.
 */
export function startJob(state, label) {
  const job = state.jobs[label];
  job.runs += 1;
  const program = resolveProgram(job);
  if (!program) {
    job.state = 'not running';
    job.pid = undefined;
    job.lastExitCode = 78;
    return;
  }
  logLaunch(label, job.arguments);
  job.state = 'running';
  job.pid = state.nextPid++;
}

export function resolveProgram(job) {
  const candidates = job.program.includes('/')
    ? [path.resolve(job.workingDirectory ?? '/', job.program)]
    : (job.environment.PATH ?? DEFAULT_PATH).split(':').map((dir) => path.join(dir, job.program));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return existsSync(file);
    } catch {
      return false;
    }
  });
}

/** `launchctl print gui/<uid>/<label>`: not API (the man page says so), but these lines are what tools read. */
export function printJob(domain, label, job) {
  const lines = [
    `${domain}/${label} = {`,
    `\tactive count = ${job.state === 'running' ? 1 : 0}`,
    `\tpath = ${job.path}`,
    '\ttype = LaunchAgent',
    `\tstate = ${job.state}`,
    '',
    `\tprogram = ${job.program}`,
    '\targuments = {',
    ...job.arguments.map((arg) => `\t\t${arg}`),
    '\t}',
    '',
  ];
  if (job.workingDirectory) lines.push(`\tworking directory = ${job.workingDirectory}`, '');
  if (job.stdoutPath) lines.push(`\tstdout path = ${job.stdoutPath}`);
  if (job.stderrPath) lines.push(`\tstderr path = ${job.stderrPath}`);
  lines.push('\tdefault environment = {', `\t\tPATH => ${DEFAULT_PATH}`, '\t}', '');
  lines.push('\tenvironment = {');
  for (const [key, value] of Object.entries(job.environment)) lines.push(`\t\t${key} => ${value}`);
  lines.push(`\t\tXPC_SERVICE_NAME => ${label}`, '\t}', '');
  lines.push(`\tdomain = ${domain}`, '\tminimum runtime = 10', '\texit timeout = 5', `\truns = ${job.runs}`);
  if (job.state === 'running' && job.pid !== undefined) lines.push(`\tpid = ${job.pid}`);
  lines.push(`\tlast exit code = ${exitText(job.lastExitCode)}`, '');
  if (job.calendar) {
    // What launchctl print shows of a calendar job: its trigger, with the first time's keys.
    lines.push('\tevent triggers = {', `\t\t${label}.calendarinterval => {`);
    lines.push('\t\t\tstream = com.apple.launchd.calendarinterval', '\t\t\tdescriptor = {');
    for (const [key, value] of Object.entries(job.calendar[0] ?? {}))
      lines.push(`\t\t\t\t"${key}" => ${value}`);
    lines.push('\t\t\t}', '\t\t}', '\t}', '');
  }
  const properties = ['inferred program'];
  if (job.runAtLoad) properties.unshift('runatload');
  if (job.keepAlive !== false) properties.unshift('keepalive');
  lines.push(`\tproperties = ${properties.join(' | ')}`, '}');
  return `${lines.join('\n')}\n`;
}

function exitText(code) {
  if (code === null) return '(never exited)';
  if (code === 78) return '78: EX_CONFIG';
  return String(code);
}

/** `launchctl print gui/<uid>`: the domain, with one line per service (pid or 0, last exit or -, label). */
export function printDomain(domain, uid, state) {
  const services = Object.entries(state.jobs).map(
    ([label, job]) =>
      `\t\t${job.state === 'running' ? job.pid : 0}\t${job.lastExitCode === null ? '-' : job.lastExitCode}\t${label}`,
  );
  const disabled = Object.entries(state.disabled).map(
    ([label, off]) => `\t\t"${label}" => ${off ? 'disabled' : 'enabled'}`,
  );
  return `${[
    `${domain} = {`,
    '\ttype = login',
    `\thandle = ${uid}`,
    `\tactive count = ${Object.values(state.jobs).filter((job) => job.state === 'running').length}`,
    '',
    '\tservices = {',
    ...services,
    '\t}',
    '',
    '\tdisabled services = {',
    ...disabled,
    '\t}',
    '}',
  ].join('\n')}\n`;
}

/** launchctl subcommands that change launchd's state; a converged run must make none of them. */
export const MUTATING_LAUNCHCTL = new Set([
  'bootstrap',
  'bootout',
  'enable',
  'disable',
  'load',
  'unload',
  'kickstart',
  'kill',
  'remove',
  'submit',
  'setenv',
  'unsetenv',
  'config',
  'reboot',
  'start',
  'stop',
]);
