#!/usr/bin/env node
// The fake guest tools of a simulated NixOS guest: `node tools.mjs <tool> <args…>`, reached through the
// shims in bin/. State lives on the guest disk ($FAKE_SIM_GUEST_ROOT, see system.mjs); every call's argv is
// appended to <sandbox>/.fake-guest-calls.log. Messages and exit codes follow the real tools.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { activate, flakeSystem, guestPaths, saveSystem } from './system.mjs';

const root = process.env.FAKE_SIM_GUEST_ROOT;
const [tool = '', ...args] = process.argv.slice(2);
const p = guestPaths(root ?? '/nonexistent');
/** Root through the fake sudo (SUDO_USER), as the guest user is not root on a real guest. */
const privileged = process.env.SUDO_USER !== undefined;

class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (code, message) => {
  throw new Exit(code, message);
};

function log() {
  if (!process.env.FAKE_SIM_ROOT) return;
  appendFileSync(
    path.join(process.env.FAKE_SIM_ROOT, '.fake-guest-calls.log'),
    `${JSON.stringify([tool, ...args])}\n`,
  );
}

const readText = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** `<path>#<attr>` of a flake reference; only path flakes are simulated. */
function flakeRef(ref) {
  const hash = ref.indexOf('#');
  const dir = hash === -1 ? ref : ref.slice(0, hash);
  const attr = hash === -1 ? '' : ref.slice(hash + 1);
  if (!dir.startsWith('/')) fail(1, `fake nix: only absolute path flakes are simulated, not ${ref}`);
  return { dir: path.resolve(dir.replace(/^path:/, '')), attr };
}

/** nixos-rebuild {boot,switch,test,build,dry-build} --flake <path>#<host> (nixos-rebuild-ng's flags). */
function nixosRebuild() {
  const action = args.find((a) => !a.startsWith('-'));
  const flakeAt = args.indexOf('--flake');
  if (!['boot', 'switch', 'test', 'build', 'dry-build', 'dry-activate'].includes(action ?? '')) {
    fail(1, `fake nixos-rebuild: unknown action ${action ?? '(none)'}`);
  }
  if (flakeAt === -1 || !args[flakeAt + 1])
    fail(1, 'fake nixos-rebuild: only --flake <path>#<host> is simulated');
  const { dir, attr } = flakeRef(args[flakeAt + 1]);
  const host = attr || 'nixos';
  const system = flakeSystem(dir, host);
  if (system.error) fail(1, system.error);
  if (action === 'build' || action === 'dry-build' || args.includes('--dry-run')) {
    if (action === 'dry-build' || args.includes('--dry-run'))
      process.stderr.write('building the system configuration...\n');
    return;
  }
  if (!privileged && !args.includes('--sudo') && !args.includes('--use-remote-sudo')) {
    fail(1, "error: opening lock file '/nix/var/nix/profiles/system.lock': Permission denied");
  }
  process.stderr.write('building the system configuration...\n');
  saveSystem(root, system);
  if (action === 'boot' || action === 'switch') {
    writeFileSync(p.bootDefault, system.toplevel);
    process.stderr.write('updating GRUB 2 menu...\n');
  }
  if (action === 'switch' || action === 'test') {
    process.stderr.write('activating the configuration...\nsetting up /etc...\n');
    activate(root, system);
  }
}

/** nix eval [--json|--raw] <flake>#nixosConfigurations.<host>.config[.<path>] [--apply '<fn>'] */
function nixEval() {
  if (args[0] !== 'eval') fail(1, `fake nix: only \`nix eval\` is simulated, not \`nix ${args[0] ?? ''}\``);
  const ref = args.slice(1).find((a) => a.includes('#'));
  if (!ref) fail(1, 'fake nix: nix eval needs <flake>#<attribute>');
  const { dir, attr } = flakeRef(ref);
  const m = /^nixosConfigurations\.("?)([^".]+)\1\.config(?:\.(.+))?$/.exec(attr);
  if (!m) fail(1, `fake nix: only nixosConfigurations.<host>.config… is simulated, not ${attr}`);
  const system = flakeSystem(dir, m[2]);
  if (system.error)
    fail(1, system.error.replace('.system.build.toplevel', `.config${m[3] ? `.${m[3]}` : ''}`));
  const value = (option) => {
    switch (option.replace(/\s+or\s+false$/, '')) {
      case 'system.build.toplevel':
      case 'system.build.toplevel.outPath':
        return system.toplevel;
      case 'networking.hostName':
        return system.hostName;
      case 'services.lima.enable':
        if (!system.lima && !/\s+or\s+false$/.test(option)) fail(1, "error: attribute 'lima' missing");
        return system.lima;
      case 'users.mutableUsers':
        return system.mutableUsers;
      default:
        return fail(1, `fake nix: cannot evaluate config.${option}`);
    }
  };
  const applyAt = args.indexOf('--apply');
  let result;
  if (applyAt !== -1) {
    // `c: { name = c.<option> [or false]; … }`: each binding is evaluated as the option it names.
    result = {};
    for (const b of (args[applyAt + 1] ?? '').matchAll(
      /([A-Za-z_][\w-]*)\s*=\s*c\.([\w.]+(?:\s+or\s+false)?)\s*;/g,
    )) {
      result[b[1]] = value(b[2]);
    }
  } else {
    if (!m[3]) fail(1, 'fake nix: evaluating a whole config is not simulated');
    result = value(m[3]);
  }
  process.stdout.write(args.includes('--raw') ? String(result) : `${JSON.stringify(result)}\n`);
}

/**
 * hostnamectl [status] | hostname [NAME] | set-hostname NAME, as on NixOS. nixpkgs patches systemd-hostnamed
 * (pkgs/os-specific/linux/systemd/*-hostnamed-localed-timedated-disable-methods-that-cha.patch) so that
 * SetStaticHostname and SetPrettyHostname answer org.freedesktop.DBus.Error.NotSupported before any
 * authorization check; hostnamectl (src/hostname/hostnamectl.c set_hostname) sets the pretty name first
 * unless --static/--transient narrows it, so a plain set fails on the pretty one: "Could not set pretty
 * hostname: …", exit 1. Only the transient name (SetHostname) is left, and it does not outlive the
 * command here (each guest command starts from /etc/hostname, as a boot does).
 */
function hostnamectl() {
  const words = args.filter((a) => !a.startsWith('-'));
  const current = (readText(p.hostname) ?? 'nixos').trim();
  const [verb = 'status', name] = words;
  if (verb === 'hostname' && name === undefined) {
    process.stdout.write(`${current}\n`);
    return;
  }
  if (verb === 'status') {
    process.stdout.write(` Static hostname: ${current}\n Operating System: NixOS 26.05\n`);
    return;
  }
  if (verb === 'set-hostname' || verb === 'hostname') {
    if (!name) fail(1, 'Too few arguments.');
    const only = ['pretty', 'static', 'transient'].filter((kind) => args.includes(`--${kind}`));
    const kinds = only.length > 0 ? only : ['pretty', 'static', 'transient'];
    const refused = kinds.find((kind) => kind !== 'transient');
    if (refused) {
      fail(
        1,
        `Could not set ${refused} hostname: Changing system settings via systemd is not supported on NixOS.`,
      );
    }
    if (!privileged) fail(1, 'Could not set transient hostname: Interactive authentication required.');
    return;
  }
  fail(1, `Unknown command verb '${verb}'.`);
}

/** systemctl is-active | start | restart UNIT… for the lima units (states in /run/fake-systemd). */
function systemctl() {
  const words = args.filter((a) => !a.startsWith('-'));
  const [verb, ...units] = words;
  const file = (unit) => path.join(p.units, unit.endsWith('.service') ? unit : `${unit}.service`);
  const known = (unit) => readText(file(unit)) !== undefined;
  if (verb === 'is-active') {
    // Exit 0 when at least one unit is active (systemctl(1)); one state per line unless --quiet.
    const states = units.map((u) => (readText(file(u)) ?? 'inactive').trim());
    if (!args.includes('--quiet') && !args.includes('-q'))
      process.stdout.write(states.map((s) => `${s}\n`).join(''));
    if (!states.includes('active')) throw new Exit(3, '');
    return;
  }
  if (verb === 'start' || verb === 'restart') {
    if (!privileged) fail(1, `Failed to ${verb} ${units[0]}: Interactive authentication required.`);
    for (const unit of units) {
      const name = unit.endsWith('.service') ? unit : `${unit}.service`;
      if (!known(unit)) fail(5, `Failed to ${verb} ${name}: Unit ${name} not found.`);
      writeFileSync(file(unit), 'active');
    }
    return;
  }
  fail(1, `fake systemctl: \`systemctl ${verb ?? ''}\` is not simulated`);
}

const TOOLS = { 'nixos-rebuild': nixosRebuild, nix: nixEval, hostnamectl, systemctl };

try {
  log();
  if (!root) fail(1, 'fake guest tools: FAKE_SIM_GUEST_ROOT is not set');
  const run = TOOLS[tool];
  if (!run) fail(127, `${tool}: command not found`);
  run();
} catch (error) {
  if (!(error instanceof Exit)) throw error;
  if (error.message) process.stderr.write(`${error.message}\n`);
  process.exitCode = error.code;
}
