#!/usr/bin/env node
// The fake launchctl of the simulated Mac (test/sim): the user's gui/<uid> domain, kept between calls in
// <sandbox root>/launchd/state.json. Exit codes and messages are the real ones (launchctl(1) and the issues
// cited below); FAKE_LAUNCHCTL_NO_GUI=1 makes gui/<uid> missing, as over plain ssh with nobody logged in at
// the screen, and FAKE_LAUNCHCTL_BOOTSTRAP_RACE=1 makes the first bootstrap after a bootout fail with 5.
import '../lib/delay.mjs';
import { existsSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  badOwnership,
  jobFromPlist,
  logCall,
  printDomain,
  printJob,
  readState,
  startJob,
  writeState,
} from '../lib/launchd.mjs';

class Exit extends Error {
  constructor(code, stderr = '') {
    super(stderr);
    this.code = code;
  }
}

const out = (text) => writeSync(1, text);
const err = (text) => writeSync(2, text.endsWith('\n') ? text : `${text}\n`);

const UID = process.getuid();
const noGui = () => process.env.FAKE_LAUNCHCTL_NO_GUI === '1';

/** `gui/<uid>` or `gui/<uid>/<label>`; other domains (user/, system, pid/) are not simulated. */
function parseTarget(text, verb) {
  const match = /^gui\/(\d+)(?:\/(.+))?$/.exec(text ?? '');
  if (!match) {
    if (/^(user|system|pid|login)(\/|$)/.test(text ?? '')) {
      throw new Exit(1, `fake launchctl: the domain of ${text} is not simulated (only gui/<uid>)`);
    }
    throw new Exit(64, `Unrecognized target specifier.\nUsage: launchctl ${verb} <target>`);
  }
  return { uid: Number(match[1]), domain: `gui/${match[1]}`, label: match[2] };
}

/**
 * Without a GUI login the gui/<uid> domain does not exist: print answers 112 "Could not find domain"
 * (duh17/oppi#38), bootstrap and bootout 125 "Domain does not support specified action" (openclaw#13795,
 * rjwalters/loom#4130). A uid that is not ours is treated the same way.
 */
function domainExists(target) {
  return !noGui() && target.uid === UID;
}
const noDomain = (target) => new Exit(112, `Could not find domain for user gui: ${target.uid}`);

const COMMANDS = {
  async bootstrap(args) {
    if (args.length < 2) {
      throw new Exit(64, 'Usage: launchctl bootstrap <domain-target> [service-path, service-path2, ...]');
    }
    const target = parseTarget(args[0], 'bootstrap');
    if (target.label) throw new Exit(64, 'Usage: launchctl bootstrap <domain-target> [service-path, ...]');
    if (!domainExists(target))
      throw new Exit(125, 'Bootstrap failed: 125: Domain does not support specified action');
    const state = readState();
    try {
      for (const arg of args.slice(1)) await bootstrapOne(state, path.resolve(arg));
    } finally {
      writeState(state);
    }
  },

  async bootout(args) {
    if (args.length < 1)
      throw new Exit(64, 'Usage: launchctl bootout <domain-target> [service-path1, ...] | <service-target>');
    const target = parseTarget(args[0], 'bootout');
    if (!domainExists(target))
      throw new Exit(125, 'Boot-out failed: 125: Domain does not support specified action');
    const state = readState();
    const unload = (label, notLoaded) => {
      if (!state.jobs[label]) throw notLoaded;
      delete state.jobs[label];
      // A bootstrap right after a bootout can fail with 5 while launchd still tears the job down
      // (tomcounsell/ai#2013): on demand, the next bootstrap of this label does.
      if (process.env.FAKE_LAUNCHCTL_BOOTSTRAP_RACE === '1') state.racing[label] = true;
    };
    try {
      if (target.label) {
        // Not loaded: "Boot-out failed: 3: No such process" (TOSS-Soft/toss-agent-runtime#42).
        unload(target.label, new Exit(3, 'Boot-out failed: 3: No such process'));
      } else {
        for (const arg of args.slice(1)) {
          const { label } = await jobFromPlist(path.resolve(arg));
          // The path form answers 5 for a job that is not loaded on newer macOS (jdx/mise#10965).
          unload(label, new Exit(5, 'Boot-out failed: 5: Input/output error'));
        }
      }
    } finally {
      writeState(state);
    }
  },

  enable: (args) => setDisabled(args, 'enable', false),
  disable: (args) => setDisabled(args, 'disable', true),

  print(args) {
    if (args.length !== 1) throw new Exit(64, 'Usage: launchctl print <service-target|domain-target>');
    const target = parseTarget(args[0], 'print');
    if (!domainExists(target))
      throw new Exit(112, `Bad request.\nCould not find domain for user gui: ${target.uid}`);
    const state = readState();
    if (!target.label) {
      out(printDomain(target.domain, target.uid, state));
      return;
    }
    const job = state.jobs[target.label];
    if (!job) {
      // TOSS-Soft/toss-agent-runtime#40: exit 113.
      throw new Exit(
        113,
        `Bad request.\nCould not find service "${target.label}" in domain for user gui: ${target.uid}`,
      );
    }
    out(printJob(target.domain, target.label, job));
  },

  'print-disabled'(args) {
    if (args.length !== 1) throw new Exit(64, 'Usage: launchctl print-disabled <domain-target>');
    const target = parseTarget(args[0], 'print-disabled');
    if (target.label) throw new Exit(64, 'Usage: launchctl print-disabled <domain-target>');
    if (!domainExists(target)) throw noDomain(target);
    const { disabled } = readState();
    const rows = Object.entries(disabled).map(
      ([label, off]) => `\t"${label}" => ${off ? 'disabled' : 'enabled'}`,
    );
    out(`${['disabled services = {', ...rows, '}', 'login item associations = {', '}'].join('\n')}\n`);
  },

  list(args) {
    if (noGui()) throw new Exit(112, `Could not find domain for user gui: ${UID}`);
    const { jobs } = readState();
    if (args.length === 0) {
      const rows = Object.entries(jobs).map(
        ([label, job]) => `${job.state === 'running' ? job.pid : '-'}\t${job.lastExitCode ?? 0}\t${label}`,
      );
      out(`${['PID\tStatus\tLabel', ...rows].join('\n')}\n`);
      return;
    }
    const job = jobs[args[0]];
    // NousResearch/hermes-agent#26971: an unknown label answers 113.
    if (!job) throw new Exit(113, `Could not find service "${args[0]}" in domain for port`);
    const lines = ['{', '\t"LimitLoadToSessionType" = "Aqua";', `\t"Label" = "${args[0]}";`];
    lines.push('\t"OnDemand" = true;', `\t"LastExitStatus" = ${job.lastExitCode ?? 0};`);
    if (job.state === 'running') lines.push(`\t"PID" = ${job.pid};`);
    lines.push(`\t"Program" = "${job.program}";`, '\t"ProgramArguments" = (');
    lines.push(...job.arguments.map((arg) => `\t\t"${arg}";`), '\t);', '};');
    out(`${lines.join('\n')}\n`);
  },

  // The legacy subcommands print their failures but "will only return a non-zero exit code due to
  // improper usage. Otherwise, zero is always returned." (launchctl(1))
  async load(args) {
    const { flags, paths } = legacyArgs(args, 'load');
    const state = readState();
    for (const file of paths) {
      try {
        if (noGui()) throw new Exit(125, 'Load failed: 125: Domain does not support specified action');
        const parsed = await jobFromPlist(file);
        if (parsed.label && flags.has('w')) state.disabled[parsed.label] = false;
        const force = flags.has('F');
        if (parsed.label && state.disabled[parsed.label] && !force) throw legacyIoError('Load', 'bootstrap');
        try {
          await bootstrapOne(state, file, 'load');
        } catch (error) {
          if (error instanceof Exit && error.code === 5) throw legacyIoError('Load', 'bootstrap');
          if (error instanceof Exit && error.code === 133) throw error;
          if (error instanceof Exit)
            throw new Exit(error.code, `Load failed: ${error.message.replace(/^Bootstrap failed: /, '')}`);
          throw error;
        }
      } catch (error) {
        if (!(error instanceof Exit)) throw error;
        err(error.message);
      }
    }
    writeState(state);
  },

  async unload(args) {
    const { flags, paths } = legacyArgs(args, 'unload');
    const state = readState();
    for (const file of paths) {
      const { label } = await jobFromPlist(file);
      if (!label) {
        err(`${file}: Invalid property list`);
        continue;
      }
      if (flags.has('w')) state.disabled[label] = true;
      if (noGui() || !state.jobs[label]) {
        err(legacyIoError('Unload', 'bootout').message);
        continue;
      }
      delete state.jobs[label];
    }
    writeState(state);
  },
};

/** Real subcommands the simulator does not provide: a clear failure rather than "unrecognized". */
const NOT_SIMULATED = [
  'asuser',
  'blame',
  'bsexec',
  'config',
  'dumpstate',
  'error',
  'getenv',
  'kickstart',
  'kill',
  'managerpid',
  'print-cache',
  'reboot',
  'remove',
  'setenv',
  'start',
  'stop',
  'submit',
  'unsetenv',
  'version',
];

async function bootstrapOne(state, file, loadedBy = 'bootstrap') {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new Exit(2, 'Bootstrap failed: 2: No such file or directory');
  }
  if (badOwnership(stat)) throw new Exit(122, 'Bootstrap failed: 122: Path had bad ownership/permissions');
  const parsed = await jobFromPlist(file);
  // Homebrew/homebrew-services#111: "<path>: Invalid property list", exit 133.
  if (parsed.error) throw new Exit(133, `${file}: Invalid property list`);
  const { label, job } = parsed;
  // Already loaded: "Bootstrap failed: 5: Input/output error" (Homebrew/homebrew-services#499).
  if (state.jobs[label]) throw ioError();
  // A disabled service cannot be bootstrapped until it is enabled (DeterminateSystems/nix-installer#530).
  if (state.disabled[label])
    throw new Exit(119, `${file}: Service is disabled\nBootstrap failed: 119: Service is disabled`);
  if (state.racing[label]) {
    delete state.racing[label];
    throw ioError();
  }
  state.jobs[label] = { ...job, loadedBy };
  if (job.runAtLoad || (job.keepAlive !== false && job.keepAlive !== undefined)) startJob(state, label);
}

const ioError = () =>
  new Exit(
    5,
    'Bootstrap failed: 5: Input/output error\nTry re-running the command as root for richer errors.',
  );
/** sparkfabrik/sparkdock#151, m4rkw/macos-corner-fix#3 */
const legacyIoError = (verb, modern) =>
  new Exit(
    5,
    `${verb} failed: 5: Input/output error\nTry running \`launchctl ${modern}\` as root for richer errors.`,
  );

function setDisabled(args, verb, disabled) {
  if (args.length !== 1) throw new Exit(64, `Usage: launchctl ${verb} <service-target>`);
  const target = parseTarget(args[0], verb);
  if (!target.label) throw new Exit(64, `Usage: launchctl ${verb} <service-target>`);
  if (!domainExists(target)) throw noDomain(target);
  const state = readState();
  state.disabled[target.label] = disabled;
  writeState(state);
}

function legacyArgs(args, verb) {
  const flags = new Set();
  const paths = [];
  for (const arg of args) {
    if (/^-[wFS]+$/.test(arg)) for (const flag of arg.slice(1)) flags.add(flag);
    else if (arg.startsWith('-'))
      throw new Exit(64, `Usage: launchctl ${verb} [-wF] <service-path, service-path2, ...>`);
    else paths.push(path.resolve(arg));
  }
  if (paths.length === 0)
    throw new Exit(64, `Usage: launchctl ${verb} [-wF] <service-path, service-path2, ...>`);
  for (const file of paths) if (!existsSync(file)) throw new Exit(64, `${file}: No such file or directory`);
  return { flags, paths };
}

async function main(argv) {
  logCall(argv);
  const [name, ...args] = argv;
  if (!name || name === 'help') {
    out(
      'Usage: launchctl <subcommand> ... | help [subcommand]\n(fake launchctl of the simulated Mac, test/sim)\n',
    );
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    if (NOT_SIMULATED.includes(name))
      throw new Exit(1, `fake launchctl: \`launchctl ${name}\` is not simulated (test/sim)`);
    throw new Exit(
      64,
      `Unrecognized subcommand: ${name}\nUsage: launchctl <subcommand> ... | help [subcommand]`,
    );
  }
  await command(args);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof Exit)) {
    err(`fake launchctl crashed: ${error?.stack ?? error}`);
    process.exit(1);
  }
  if (error.message) err(error.message);
  process.exit(error.code);
}
