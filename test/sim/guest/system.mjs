// The simulated guest's operating system. The guest is this machine, so what makes it look like Ubuntu or
// NixOS lives on the sandbox's guest disk (<sandbox>/guest): `etc/os-release`, bound over /etc/os-release in
// a private mount namespace for every `limactl shell` command; on NixOS also `run/` (the guest's /run, fresh
// at each boot, with `current-system`), `etc/hostname` (networking.hostName of the system last activated)
// and the systems nixos-rebuild built.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

/** The fake guest tools (nixos-rebuild, nix, hostnamectl, systemctl, sudo), first on PATH in a NixOS guest. */
export const GUEST_BIN = path.join(import.meta.dirname, 'bin');

/** /etc/os-release of the guests the sim knows (the files Ubuntu's base-files and NixOS write). */
export const OS_RELEASE = {
  ubuntu: [
    'PRETTY_NAME="Ubuntu 24.04.2 LTS"',
    'NAME="Ubuntu"',
    'VERSION_ID="24.04"',
    'VERSION="24.04.2 LTS (Noble Numbat)"',
    'VERSION_CODENAME=noble',
    'ID=ubuntu',
    'ID_LIKE=debian',
    'HOME_URL="https://www.ubuntu.com/"',
    'UBUNTU_CODENAME=noble',
    '',
  ].join('\n'),
  nixos: [
    'ANSI_COLOR="0;38;2;126;186;228"',
    'BUG_REPORT_URL="https://github.com/NixOS/nixpkgs/issues"',
    'BUILD_ID="26.05.20260620.3426825"',
    'HOME_URL="https://nixos.org/"',
    'ID=nixos',
    'ID_LIKE=""',
    'LOGO="nix-snowflake"',
    'NAME=NixOS',
    'PRETTY_NAME="NixOS 26.05"',
    'VERSION_ID="26.05"',
    '',
  ].join('\n'),
};

/** The units nixos-lima's module defines (lima-init.nix: services.lima.enable). */
export const LIMA_UNITS = ['lima-init', 'lima-guestagent'];

export function guestPaths(root) {
  return {
    root,
    osRelease: path.join(root, 'etc', 'os-release'),
    hostname: path.join(root, 'etc', 'hostname'),
    /** The guest's /run (a tmpfs on a real guest): emptied at each boot. */
    run: path.join(root, 'run'),
    currentSystem: path.join(root, 'run', 'current-system'),
    units: path.join(root, 'run', 'fake-systemd'),
    /** What `nixos-rebuild boot` made the default for the next boot (/nix/var/nix/profiles/system). */
    bootDefault: path.join(root, 'nix', 'fake-boot-default'),
    /** The system the guest booted last, to know when a boot activates a new one. */
    lastBooted: path.join(root, 'nix', 'fake-last-booted'),
    /** <store basename>.json: what each built system sets (hostName, services.lima.enable…). */
    systems: path.join(root, 'nix', 'fake-systems'),
  };
}

const read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** `KEY=value` lines of an os-release file, quotes removed. */
export function parseOsRelease(text) {
  const out = {};
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Z0-9_]+)=("?)(.*)\2$/.exec(line.trim());
    if (m) out[m[1]] = m[3];
  }
  return out;
}

export function isNixos(root) {
  return parseOsRelease(read(guestPaths(root).osRelease)).ID === 'nixos';
}

/** A store path hash: 32 characters of Nix's base32 alphabet, from the text given. */
function storeHash(text) {
  const alphabet = '0123456789abcdfghijklmnpqrsvwxyz';
  return [...createHash('sha256').update(text).digest()]
    .slice(0, 32)
    .map((byte) => alphabet[byte % 32])
    .join('');
}

/** The nixos-lima release of an image URL (`…/nixos-lima-v0.2.1-aarch64.qcow2` → 0.2.1), or undefined. */
export function nixosLimaRelease(location) {
  const m = /nixos-lima-v(\d+(?:\.\d+){0,2})-(?:aarch64|x86_64)\.qcow2$/.exec(String(location));
  return m ? semver.coerce(m[1])?.version : undefined;
}

/** The system a nixos-lima image boots (lima.nix: hostname `nixos`, the lima module on, mutable users). */
export function imageSystem(location) {
  return {
    toplevel: `/nix/store/${storeHash(`image:${location}`)}-nixos-system-nixos-26.05`,
    hostName: 'nixos',
    lima: true,
    mutableUsers: true,
    image: nixosLimaRelease(location),
  };
}

/**
 * What `<flake>#nixosConfigurations.<host>` would build, read from flake.nix with regular expressions (one
 * configuration per file is enough for tests): its toplevel, hostName, services.lima.enable and
 * users.mutableUsers. The toplevel depends on flake.nix's bytes and the host, so a test can predict it.
 */
export function flakeSystem(flakeDir, host) {
  const text = read(path.join(flakeDir, 'flake.nix'));
  if (text === undefined) {
    return {
      error: `error: path '${flakeDir}' is not a flake (because it doesn't contain a 'flake.nix' file)`,
    };
  }
  const esc = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const declared =
    new RegExp(`nixosConfigurations\\.("?)${esc}\\1\\s*=`).test(text) ||
    new RegExp(`nixosConfigurations\\s*=\\s*\\{[\\s\\S]*?\\b("?)${esc}\\1\\s*=`).test(text);
  if (!declared) {
    const attr = `nixosConfigurations.${host}.config.system.build.toplevel`;
    return {
      error: `error: flake 'path:${flakeDir}' does not provide attribute 'packages.aarch64-linux.${attr}', 'legacyPackages.aarch64-linux.${attr}' or '${attr}'`,
    };
  }
  const hostName = /networking\.hostName\s*=\s*"([^"]*)"/.exec(text)?.[1] ?? 'nixos';
  return {
    toplevel: `/nix/store/${storeHash(`${text}\0${host}`)}-nixos-system-${hostName}-26.05`,
    hostName,
    lima: /services\.lima\.enable\s*=\s*true/.test(text),
    mutableUsers: !/users\.mutableUsers\s*=\s*false/.test(text),
  };
}

export function saveSystem(root, system) {
  const p = guestPaths(root);
  mkdirSync(p.systems, { recursive: true });
  writeFileSync(path.join(p.systems, `${path.basename(system.toplevel)}.json`), JSON.stringify(system));
}

export function loadSystem(root, toplevel) {
  const text = read(path.join(guestPaths(root).systems, `${path.basename(toplevel ?? '')}.json`));
  return text ? JSON.parse(text) : undefined;
}

/** Activate a system now (switch, or a boot): /run/current-system, its hostname, its units. */
export function activate(root, system, { unitStates = {} } = {}) {
  const p = guestPaths(root);
  mkdirSync(p.run, { recursive: true });
  rmSync(p.currentSystem, { force: true });
  symlinkSync(system.toplevel, p.currentSystem);
  // A new generation's activation writes /etc/hostname from networking.hostName (environment.etc.hostname).
  if (read(p.lastBooted) !== system.toplevel) {
    mkdirSync(path.dirname(p.hostname), { recursive: true });
    writeFileSync(p.hostname, `${system.hostName}\n`);
    writeFileSync(p.lastBooted, system.toplevel);
  }
  rmSync(p.units, { recursive: true, force: true });
  mkdirSync(p.units, { recursive: true });
  if (system.lima) {
    for (const unit of LIMA_UNITS)
      writeFileSync(path.join(p.units, `${unit}.service`), unitStates[unit] ?? 'active');
  }
}

/**
 * At every start of an instance: a first start makes its disk (`diffdisk`, pkg/store/filenames) from the
 * first image for the VM's arch — images matter only then (pkg/instance/start.go Prepare) — and a nixos-lima
 * image gives a NixOS guest. A NixOS guest then boots: /run is fresh and holds the boot default as
 * current-system. Returns a reason when the start must end degraded, as real Lima's would.
 */
export function bootGuest({ root, instanceDir, images, arch, limaVersion }) {
  const p = guestPaths(root);
  const disk = path.join(instanceDir, 'diffdisk');
  if (!existsSync(disk)) {
    const image = (images ?? []).find((i) => i && (i.arch === undefined || i.arch === arch));
    writeFileSync(disk, `fake disk of the simulated Mac, from ${image?.location ?? 'the base template'}\n`);
    if (image && nixosLimaRelease(image.location) !== undefined) {
      mkdirSync(path.dirname(p.osRelease), { recursive: true });
      writeFileSync(p.osRelease, OS_RELEASE.nixos);
      const system = imageSystem(image.location);
      saveSystem(root, system);
      mkdirSync(path.dirname(p.bootDefault), { recursive: true });
      writeFileSync(p.bootDefault, system.toplevel);
    }
  }
  if (!isNixos(root)) return undefined;
  rmSync(p.run, { recursive: true, force: true });
  const system = loadSystem(root, read(p.bootDefault));
  if (!system) return undefined;
  const lima = semver.coerce(limaVersion)?.version ?? '0.0.0';
  const image = system.image;
  // Lima >= 2.1.3 starts the guest agent with --socket-owner, which images before v0.2.1 do not pass
  // (nixos-lima CHANGELOG 0.2.1, PR #101).
  const agentFails = image !== undefined && semver.gte(lima, '2.1.3') && semver.lt(image, '0.2.1');
  activate(root, system, { unitStates: agentFails ? { 'lima-guestagent': 'failed' } : {} });
  // Lima >= 2.1 waits for the instance ID in /run/lima-boot-done, written by nixos-lima >= v0.0.5 (PR #52).
  if (image !== undefined && semver.gte(lima, '2.1.0') && semver.lt(image, '0.0.5')) {
    return 'boot scripts must have finished (nixos-lima before v0.0.5 never writes the instance ID)';
  }
  if (!system.lima)
    return 'ssh: the guest has no lima-init (services.lima.enable is off), so no user and no key';
  return undefined;
}

/** `limactl delete`: the instance's disk is gone. The sim has one guest disk per sandbox. */
export function wipeGuestDisk(root, simRoot) {
  if (path.resolve(root).startsWith(`${path.resolve(simRoot)}${path.sep}`)) {
    rmSync(root, { recursive: true, force: true });
  }
}

const q = (s) => `'${String(s).replaceAll("'", `'"'"'`)}'`;

/**
 * How `limactl shell` runs a command in this guest: when the guest disk has an os-release, in a private
 * mount (and UTS) namespace where it is /etc/os-release; a NixOS guest also gets its /run, its hostname
 * and the fake guest tools first on PATH (set after the login shell's profile, which resets PATH).
 * Needs root (unshare -m). Returns undefined for a plain guest: this machine as it is.
 */
export function guestShell(root, env) {
  const p = guestPaths(root);
  if (!existsSync(p.osRelease)) return undefined;
  const nixos = isNixos(root);
  const setup = [`mount --bind ${q(p.osRelease)} /etc/os-release || exit 125`];
  let prelude = '';
  if (nixos) {
    mkdirSync(p.run, { recursive: true });
    setup.push(`mount --bind ${q(p.run)} /run || exit 125`);
    const name = (read(p.hostname) ?? 'nixos').trim();
    if (name) setup.push(`hostname ${q(name)} || exit 125`);
    const vars = { ...env, PATH: `${GUEST_BIN}:$PATH` };
    prelude = `${Object.entries(vars)
      .map(([k, v]) => (k === 'PATH' ? `PATH=${q(GUEST_BIN)}:"$PATH"` : `${k}=${q(v)}`))
      .join(' ')}; export ${Object.keys(vars).join(' ')}; `;
  }
  return {
    prelude,
    wrap: (script) => `exec unshare -m -u -- sh -c ${q(`${setup.join('; ')}; ${script}`)}`,
  };
}
