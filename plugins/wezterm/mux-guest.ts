/**
 * The guest side of WezTerm's multiplexer (`plugins.wezterm.mux`): what asc reads in the VM in one probe,
 * the systemd user unit it writes, and WezTerm's APT repository, as WezTerm documents the Linux install
 * (docs/install/linux.md: apt.fury.io/wez; the `wezterm` package's Version is the release tag,
 * ci/deploy.sh). The package ships /usr/bin/wezterm-mux-server and /usr/bin/wezterm.
 */
import { createHash } from 'node:crypto';
import { AscError, type AscTaskContext } from '../../src/index.ts';
import { guestProbe, parseProbe } from '../lima/api.ts';

export const FACT_MUX = 'wezterm.mux';
export const UNIT = 'asc-wezterm-mux.service';
/** In the guest home: the user manager reads `~/.config/systemd/user`. */
export const UNIT_FILE = `.config/systemd/user/${UNIT}`;

/**
 * One round trip: the OS, the package, the server, asc's unit and its state, lingering. It is a guest fact
 * of every wezterm user, so what only matters once the server is there (dpkg, systemd) is asked only then.
 */
export const MUX_SCRIPT = [
  `printf 'os=%s\\n' "$(. /etc/os-release 2>/dev/null; printf %s "$ID")"`,
  `printf 'user=%s\\n' "$(id -un)"`,
  `u="$HOME/${UNIT_FILE}"`,
  'if command -v wezterm-mux-server >/dev/null 2>&1 || [ -e "$u" ]; then',
  // dpkg-query prints nothing (and fails) when the package is not installed, and is missing on NixOS.
  `  printf 'pkg=%s\\n' "$(dpkg-query -W -f='\${Version}' wezterm 2>/dev/null)"`,
  `  printf 'server=%s\\n' "$(command -v wezterm-mux-server)"`,
  `  printf 'serverVersion=%s\\n' "$(wezterm-mux-server --version 2>/dev/null)"`,
  `  if [ -f "$u" ]; then printf 'unit=%s\\n' "$(sha256sum < "$u" | cut -c1-64)"; else echo unit=none; fi`,
  `  printf 'enabled=%s\\n' "$(systemctl --user is-enabled ${UNIT} 2>/dev/null)"`,
  `  printf 'active=%s\\n' "$(systemctl --user is-active ${UNIT} 2>/dev/null)"`,
  'fi',
  `printf 'linger=%s\\n' "$(loginctl show-user "$(id -un)" --property=Linger --value 2>/dev/null)"`,
].join('\n');

export interface MuxProbe {
  os: string;
  user: string;
  /** The installed `wezterm` package's version, or ''. */
  pkg: string;
  /** Where wezterm-mux-server is on the guest PATH, or ''. */
  server: string;
  /** `wezterm-mux-server 20240203-110809-5046fc22` → `20240203-110809-5046fc22`, or ''. */
  serverVersion: string;
  /** sha256 of asc's unit file, or `none`. */
  unit: string;
  enabled: string;
  active: string;
  linger: string;
}

export async function muxProbe(t: AscTaskContext): Promise<MuxProbe> {
  const values = parseProbe(await guestProbe(t, FACT_MUX, MUX_SCRIPT));
  const field = (key: string) => values[key]?.trim() ?? '';
  return {
    os: field('os'),
    user: field('user'),
    pkg: field('pkg'),
    server: field('server'),
    serverVersion: field('serverVersion').split(/\s+/).at(-1) ?? '',
    unit: field('unit') || 'none',
    enabled: field('enabled'),
    active: field('active'),
    linger: field('linger'),
  };
}

/**
 * The Mac's WezTerm version, from `wezterm --version` (`wezterm 20240203-110809-5046fc22`): read once per
 * run. The mux protocol needs the same build on both ends.
 */
export function macWeztermVersion(t: AscTaskContext): Promise<string> {
  return t.once('wezterm:mac-version', async () => {
    let stdout: string;
    try {
      ({ stdout } = await t.exec.query('wezterm', ['--version'], { timeoutMs: 30_000 }));
    } catch (error) {
      if (!(error instanceof AscError)) throw error;
      throw new AscError(`\`wezterm --version\` on the Mac failed: ${error.message.trim()}`, {
        code: 'E_COMMAND_FAILED',
        hint: 'the mux mode installs the same WezTerm version in the VM as on the Mac: put the wezterm CLI on PATH (`brew install --cask wezterm` links it)',
      });
    }
    const version = /^wezterm\s+(\S+)\s*$/m.exec(stdout)?.[1];
    if (!version) {
      throw new AscError(
        `\`wezterm --version\` printed ${JSON.stringify(stdout.trim())}, not "wezterm <version>"`,
        {
          code: 'E_COMMAND_FAILED',
          hint: 'check the wezterm on your PATH (`command -v wezterm`)',
        },
      );
    }
    return version;
  });
}

/**
 * WezTerm's APT repository, then the package pinned to the Mac's version (`--allow-downgrades`: a Mac
 * that went back to an older WezTerm gets the older server too). Run as root.
 */
export function installScript(version: string): string {
  return [
    'set -eu',
    'mkdir -p /etc/apt/keyrings',
    'curl -fsSL https://apt.fury.io/wez/gpg.key | gpg --yes --dearmor -o /etc/apt/keyrings/wezterm-fury.gpg',
    "echo 'deb [signed-by=/etc/apt/keyrings/wezterm-fury.gpg] https://apt.fury.io/wez/ * *' > /etc/apt/sources.list.d/wezterm.list",
    'apt-get update -qq',
    `apt-get install -y -qq --allow-downgrades wezterm=${version}`,
  ].join('\n');
}

/** The unit: the server in the foreground (it daemonizes only with --daemonize), restarted when it fails. */
export function unitText(server: string): string {
  return [
    '# Written by asc (the wezterm plugin, mux: true): WezTerm sessions that live in the VM.',
    '# The Mac attaches with `ssh lima-<instance> wezterm cli proxy`. `asc uninstall` removes this file.',
    '[Unit]',
    'Description=WezTerm multiplexer server (asc)',
    '',
    '[Service]',
    `ExecStart=${server}`,
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export const unitHash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes the unit over stdin: a temporary file, then a rename (the user manager never reads half a file). */
export const WRITE_UNIT = [
  'set -e',
  `f="$HOME/${UNIT_FILE}"`,
  'mkdir -p "$(dirname "$f")"',
  'cat > "$f.tmp"',
  'mv -f "$f.tmp" "$f"',
].join('\n');

/** What a NixOS guest needs in its flake: asc installs no packages there. */
export function nixosHint(user: string): string {
  return [
    'in your NixOS flake (the nixos plugin): environment.systemPackages = [ pkgs.wezterm ];',
    `users.users.${user || '<user>'}.linger = true;`,
    `and a systemd.user.services.asc-wezterm-mux with serviceConfig.ExecStart = "\${pkgs.wezterm}/bin/wezterm-mux-server", Restart = "on-failure", wantedBy = [ "default.target" ];`,
    "pkgs.wezterm must be the Mac's version (pin nixpkgs, or overrideAttrs to that release)",
  ].join(' ');
}
