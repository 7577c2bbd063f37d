#!/usr/bin/env node
// One running service of the simulated guest's systemd user manager (test/sim): `node user-service.mjs
// <unit>`, detached by `systemctl --user start`. It runs the loaded unit's ExecStart in the foreground and
// does what systemd.service(5) says of Restart=: `on-failure` restarts after a non-zero exit or a death
// by a signal other than SIGHUP, SIGINT, SIGTERM and SIGPIPE; `always` after any end; `no` never. Restarts
// wait RestartSec (100ms by default) and count in NRestarts; more than 5 starts within 10s
// (StartLimitBurst, StartLimitIntervalSec) leave the unit `failed` with result start-limit-hit. SIGTERM
// (systemctl stop) stops the main process with SIGTERM and leaves the unit `inactive`.
import { spawn } from 'node:child_process';
import { loadedFile, readJson, runtimeFile, serviceOf, writeJson } from './user-units.mjs';

const unit = process.argv[2] ?? '';
const text = readJson(loadedFile(), {})[unit] ?? '';
const service = serviceOf(text);
const CLEAN_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE']);
let nRestarts = 0;
let stopping = false;
let child;
const starts = [];

const save = (fields) => writeJson(runtimeFile(unit), { supervisor: process.pid, nRestarts, ...fields });

function start() {
  const now = Date.now();
  starts.push(now);
  while (starts.length > 0 && (starts[0] ?? 0) < now - 10_000) starts.shift();
  if (starts.length > 5) {
    save({ active: 'failed', result: 'start-limit-hit', mainPid: 0 });
    process.exit(0);
  }
  const argv = (service.execStart ?? '')
    .replace(/^[-@:+!]+/, '')
    .split(/\s+/)
    .filter(Boolean);
  if (!argv[0]?.startsWith('/')) {
    save({ active: 'failed', result: 'exec', mainPid: 0 });
    process.exit(0);
  }
  child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  child.once('error', () => ended(203, null));
  child.once('exit', (code, signal) => ended(code, signal));
  save({ active: 'active', result: 'success', mainPid: child.pid ?? 0 });
}

function ended(code, signal) {
  if (stopping) {
    save({ active: 'inactive', result: 'success', mainPid: 0 });
    process.exit(0);
  }
  const clean = signal ? CLEAN_SIGNALS.has(signal) : code === 0;
  const again = service.restart === 'always' || (service.restart === 'on-failure' && !clean);
  if (!again) {
    save({
      active: clean ? 'inactive' : 'failed',
      result: clean ? 'success' : signal ? 'signal' : 'exit-code',
      mainPid: 0,
    });
    process.exit(0);
  }
  save({ active: 'activating', result: 'success', mainPid: 0 });
  setTimeout(() => {
    nRestarts += 1;
    start();
  }, service.restartSec * 1000);
}

process.on('SIGTERM', () => {
  stopping = true;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  else {
    save({ active: 'inactive', result: 'success', mainPid: 0 });
    process.exit(0);
  }
});
start();
