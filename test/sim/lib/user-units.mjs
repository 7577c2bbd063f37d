// The state of the simulated guest's systemd user manager (test/sim/bin/guest-systemctl.mjs and its
// supervisor, user-service.mjs): unit files are the user's, in ~/.config/systemd/user; what the manager
// loaded (at daemon-reload, or when a unit is first used) and each unit's runtime state are JSON files
// under <guest root>/run/fake-user-systemd, written atomically.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const guestRoot = () => process.env.FAKE_GUEST_ROOT ?? '';
export const stateDir = () => path.join(guestRoot(), 'run', 'fake-user-systemd');
export const unitDir = (home = process.env.HOME ?? '') => path.join(home, '.config', 'systemd', 'user');

export function readJson(file, fallback) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

export function writeJson(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, file);
}

/** The loaded text of every unit the manager knows: { [unit]: text }. */
export const loadedFile = () => path.join(stateDir(), 'loaded.json');
/** One unit's runtime: { active: 'active'|'activating'|'inactive'|'failed', supervisor, mainPid, nRestarts, result }. */
export const runtimeFile = (unit) => path.join(stateDir(), `${unit}.json`);

export function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The [Service] keys the fake honours, from a unit's text (last assignment wins, as in systemd). */
export function serviceOf(text) {
  const keys = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) keys[`${section}.${line.slice(0, eq).trim()}`] = line.slice(eq + 1).trim();
  }
  return {
    execStart: keys['Service.ExecStart'],
    restart: keys['Service.Restart'] ?? 'no',
    restartSec: Number.parseFloat(keys['Service.RestartSec'] ?? '0.1'),
    wantedBy: keys['Install.WantedBy'],
  };
}

export const fileExists = (file) => existsSync(file);
