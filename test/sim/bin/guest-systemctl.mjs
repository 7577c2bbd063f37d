#!/usr/bin/env node
// `systemctl --user` in the simulated Ubuntu guest (test/sim): the user's own systemd manager, with the
// commands, messages and exit codes of systemd 255 (Ubuntu 24.04) for what asc uses. Unit files are read
// from ~/.config/systemd/user; `enable` links one into default.target.wants (its WantedBy), `disable`
// removes the link; a unit is loaded when first used and again at `daemon-reload`, and a file changed
// since then gets systemd's "changed on disk" warning (the old text keeps running). `start` runs the unit
// under a supervisor (../lib/user-service.mjs) that restarts it as Restart= says. `is-active` exits 0
// only when active, 3 otherwise (systemctl(1)); `is-enabled` exits 1 unless enabled. The system manager
// (no --user) is not simulated. Each call is appended to <guest root>/systemctl.log.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import {
  alive,
  guestRoot,
  loadedFile,
  readJson,
  runtimeFile,
  serviceOf,
  unitDir,
  writeJson,
} from '../lib/user-units.mjs';

const args = process.argv.slice(2);
appendFileSync(path.join(guestRoot(), 'systemctl.log'), `${JSON.stringify(args)}\n`);
const out = (text) => process.stdout.write(`${text}\n`);
const err = (text) => process.stderr.write(`${text}\n`);
if (!args.includes('--user')) {
  err('fake systemctl (test/sim): only the user manager (--user) is simulated');
  process.exit(1);
}
const now = args.includes('--now');
const words = args.filter((a) => !a.startsWith('-'));
const [verb = '', ...units] = words;

const fileOf = (unit) => path.join(unitDir(), unit);
const linkOf = (unit) => path.join(unitDir(), 'default.target.wants', unit);
const textOf = (unit) => {
  try {
    return readFileSync(fileOf(unit), 'utf8');
  } catch {
    return undefined;
  }
};

/** The unit as the manager has it loaded: loaded now if it never was; warns when the file changed since. */
function load(unit) {
  const loaded = readJson(loadedFile(), {});
  const text = textOf(unit);
  if (loaded[unit] === undefined && text !== undefined) {
    loaded[unit] = text;
    writeJson(loadedFile(), loaded);
  } else if (text !== undefined && loaded[unit] !== text) {
    err(
      `Warning: The unit file, source configuration file or drop-ins of ${unit} changed on disk. Run 'systemctl --user daemon-reload' to reload units.`,
    );
  }
  return loaded[unit];
}

function runtime(unit) {
  const state = readJson(runtimeFile(unit), {
    active: 'inactive',
    nRestarts: 0,
    mainPid: 0,
    result: 'success',
  });
  if ((state.active === 'active' || state.active === 'activating') && !alive(state.supervisor)) {
    return { ...state, active: 'inactive', mainPid: 0 };
  }
  return state;
}

const waitUntil = (done) => {
  for (let i = 0; i < 500 && !done(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
};

function start(unit) {
  if (load(unit) === undefined) {
    err(`Failed to start ${unit}: Unit ${unit} not found.`);
    process.exit(5);
  }
  const state = runtime(unit);
  if (state.active === 'active' || state.active === 'activating') return;
  writeJson(runtimeFile(unit), { ...state, active: 'activating', supervisor: 0 });
  const supervisor = spawn(
    process.execPath,
    [path.join(import.meta.dirname, '../lib/user-service.mjs'), unit],
    {
      detached: true,
      stdio: 'ignore',
      // The user manager's environment: its own runtime dir, not the caller's shell.
      env: Object.fromEntries(
        Object.entries({
          HOME: process.env.HOME,
          USER: process.env.USER,
          PATH: process.env.PATH,
          XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
          FAKE_GUEST_ROOT: guestRoot(),
          FAKE_SIM_ROOT: process.env.FAKE_SIM_ROOT,
        }).filter(([, value]) => value !== undefined),
      ),
    },
  );
  supervisor.unref();
  waitUntil(() => readJson(runtimeFile(unit), {}).supervisor === supervisor.pid);
}

function stop(unit) {
  const state = runtime(unit);
  if (!alive(state.supervisor)) {
    if (state.active !== 'failed') writeJson(runtimeFile(unit), { ...state, active: 'inactive', mainPid: 0 });
    return;
  }
  process.kill(state.supervisor, 'SIGTERM');
  waitUntil(() => !alive(state.supervisor));
}

function enable(unit) {
  const text = textOf(unit);
  if (text === undefined) {
    err(`Failed to enable unit: Unit file ${unit} does not exist.`);
    process.exit(1);
  }
  const link = linkOf(unit);
  if (serviceOf(text).wantedBy !== 'default.target' || existsSync(link)) return;
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync(fileOf(unit), link);
  err(`Created symlink '${link}' → '${fileOf(unit)}'.`);
}

function disable(unit) {
  const link = linkOf(unit);
  if (!existsSync(link)) return;
  rmSync(link);
  err(`Removed '${link}'.`);
}

switch (verb) {
  case 'daemon-reload': {
    const loaded = readJson(loadedFile(), {});
    for (const unit of Object.keys(loaded)) {
      const text = textOf(unit);
      if (text === undefined) delete loaded[unit];
      else loaded[unit] = text;
    }
    writeJson(loadedFile(), loaded);
    break;
  }
  case 'start':
    for (const unit of units) start(unit);
    break;
  case 'stop':
    for (const unit of units) stop(unit);
    break;
  case 'restart':
    for (const unit of units) {
      stop(unit);
      start(unit);
    }
    break;
  case 'reset-failed':
    for (const unit of units) {
      const state = runtime(unit);
      if (state.active === 'failed')
        writeJson(runtimeFile(unit), { ...state, active: 'inactive', result: 'success' });
    }
    break;
  case 'enable':
    for (const unit of units) {
      enable(unit);
      if (now) start(unit);
    }
    break;
  case 'disable':
    for (const unit of units) {
      disable(unit);
      if (now) stop(unit);
    }
    break;
  case 'is-active': {
    const states = units.map((unit) => runtime(unit).active);
    for (const state of states) out(state);
    process.exit(states.includes('active') ? 0 : 3);
    break;
  }
  case 'is-enabled': {
    const unit = units[0] ?? '';
    const text = textOf(unit);
    if (text === undefined && !existsSync(linkOf(unit))) {
      err(`Failed to get unit file state for ${unit}: No such file or directory`);
      process.exit(1);
    }
    const state = existsSync(linkOf(unit))
      ? 'enabled'
      : serviceOf(text ?? '').wantedBy
        ? 'disabled'
        : 'static';
    out(state);
    process.exit(state === 'enabled' ? 0 : 1);
    break;
  }
  case 'show': {
    const unit = units[0] ?? '';
    const state = runtime(unit);
    const props = {
      ActiveState: state.active,
      MainPID: String(state.mainPid ?? 0),
      NRestarts: String(state.nRestarts ?? 0),
      Result: state.result ?? 'success',
    };
    const asked = args
      .filter((a) => a.startsWith('--property='))
      .flatMap((a) => a.slice('--property='.length).split(','));
    const value = args.includes('--value');
    for (const [key, v] of Object.entries(props)) {
      if (asked.length === 0 || asked.includes(key)) out(value ? v : `${key}=${v}`);
    }
    break;
  }
  default:
    err(`fake systemctl (test/sim): \`systemctl ${args.join(' ')}\` is not simulated`);
    process.exit(1);
}
