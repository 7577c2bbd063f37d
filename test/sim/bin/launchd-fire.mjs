#!/usr/bin/env node
// What launchd does when a job's StartCalendarInterval comes due, or when the Mac wakes after one passed
// during sleep ("launchd will start the job the next time the computer wakes up. If multiple intervals
// transpire before the computer is woken, those events will be coalesced into one event", launchd.plist(5)):
// it runs the job's program once, with the job's environment, and records its exit. Unlike a
// `limactl start --foreground` job, which the fake only records (see README), a calendar job runs and ends.
// Usage: launchd-fire.mjs LABEL. FAKE_SIM_ROOT, FAKE_SIM_HOME and FAKE_SIM_TMP come from the test helper.
import { spawn } from 'node:child_process';
import { existsSync, openSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { DEFAULT_PATH, readState, resolveProgram, writeState } from '../lib/launchd.mjs';

const [label] = process.argv.slice(2);
const done = (result) => {
  writeSync(1, `${JSON.stringify({ label, ...result })}\n`);
  process.exit(0);
};
const fail = (message) => {
  writeSync(2, `launchd-fire: ${message}\n`);
  process.exit(1);
};

const state = readState();
const job = state.jobs[label];
if (!job) fail(`${label} is not loaded: launchd fires only loaded jobs`);
if (!job.calendar) fail(`${label} has no StartCalendarInterval: no calendar time ever fires it`);
// launchd never runs a second instance of a job: a firing while it runs is missed.
if (job.state === 'running') done({ fired: false, reason: 'running' });

/**
 * The job's PATH as it would be on a Mac: the Mac's own tools (launchctl, plutil, uname, sw_vers) live in
 * /usr/bin, /bin…, which here are this machine's; the sandbox's macos-bin stands in front of the first of them.
 */
function macPath(value) {
  const system = new Set(['/usr/bin', '/bin', '/usr/sbin', '/sbin']);
  const dirs = value.split(':');
  const first = dirs.findIndex((dir) => system.has(dir));
  if (first >= 0) dirs.splice(first, 0, path.join(process.env.FAKE_SIM_ROOT, 'macos-bin'));
  return dirs.join(':');
}

/** launchd opens the log itself, appending; in a folder that is missing, the output is lost. */
function logFd(file) {
  if (!file) return 'ignore';
  const resolved = path.resolve(job.workingDirectory ?? '/', file);
  return existsSync(path.dirname(resolved)) ? openSync(resolved, 'a', 0o644) : 'ignore';
}

job.runs += 1;
const program = resolveProgram(job);
if (!program) {
  job.lastExitCode = 78;
  writeState(state);
  done({ fired: true, exitCode: 78 });
}
const user = userInfo();
const env = {
  ...job.environment,
  PATH: macPath(job.environment.PATH ?? DEFAULT_PATH),
  HOME: process.env.FAKE_SIM_HOME,
  USER: user.username,
  LOGNAME: user.username,
  SHELL: '/bin/zsh',
  TMPDIR: process.env.FAKE_SIM_TMP,
  XPC_SERVICE_NAME: label,
};
const out = logFd(job.stdoutPath);
const err = job.stderrPath === job.stdoutPath ? out : logFd(job.stderrPath);
const child = spawn(program, job.arguments.slice(1), {
  argv0: job.arguments[0],
  cwd: job.workingDirectory ?? '/',
  env,
  stdio: ['ignore', out, err],
});
job.state = 'running';
job.pid = child.pid;
writeState(state);
const exitCode = await new Promise((resolve) =>
  child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0))),
);
// The job may have changed launchd's state while it ran: record its end on what is there now.
const after = readState();
const now = after.jobs[label];
if (now) {
  now.state = 'not running';
  now.pid = undefined;
  now.lastExitCode = exitCode;
  writeState(after);
}
done({ fired: true, exitCode });
