// The simulated VM's sshd: the guest's sshd on 127.0.0.1, run as the current user, standing in for a Lima
// guest's. Its files live in <instance dir>/fake-sshd; each session is the guest user's (bin/guest-session).
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ensureUserKey } from './hostagent.mjs';
import { LimaError } from './log.mjs';
import { guestHome, readLimaVersion, sim } from './store.mjs';
import { shellQuote } from './util.mjs';

function sshdPaths(dir) {
  const base = path.join(dir, 'fake-sshd');
  return {
    base,
    config: path.join(base, 'sshd_config'),
    hostKey: path.join(base, 'ssh_host_ed25519_key'),
    authorizedKeys: path.join(base, 'authorized_keys'),
    pidFile: path.join(base, 'sshd.pid'),
    /** HOME of the OS user's shell that runs the ForceCommand: empty, so that shell reads no dotfiles. */
    shellHome: path.join(base, 'empty-home'),
  };
}

/** The session wrapper sshd forces (bin/guest-session): the guest user's home, shell and working folder. */
const GUEST_SESSION = path.join(import.meta.dirname, '..', 'bin', 'guest-session');

/** Ubuntu's `Subsystem sftp` (sftp-server run by the user's shell); Debian's path, then other distros'. */
const SFTP_SERVERS = [
  '/usr/lib/openssh/sftp-server',
  '/usr/libexec/openssh/sftp-server',
  '/usr/lib/ssh/sftp-server',
];

/** Prepare the guest side: the guest home (with the compat symlink of 00-guest-home.sh) and sshd's files. */
export function prepareGuest(dir) {
  const s = sim();
  if (!existsSync(s.sshd)) {
    throw new LimaError(
      `fake limactl: ${s.sshd} not found; install OpenSSH server (apt-get install openssh-server)`,
    );
  }
  const home = guestHome(readLimaVersion(dir));
  mkdirSync(home, { recursive: true });
  const other = home.endsWith('.guest')
    ? home.replace(/\.guest$/, '.linux')
    : home.replace(/\.linux$/, '.guest');
  try {
    lstatSync(other);
  } catch {
    symlinkSync(path.basename(home), other);
  }
  const p = sshdPaths(dir);
  mkdirSync(p.base, { recursive: true, mode: 0o700 });
  mkdirSync(p.shellHome, { recursive: true });
  if (!existsSync(p.hostKey)) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fake-guest', '-f', p.hostKey], {
      stdio: 'ignore',
    });
  }
  writeFileSync(p.authorizedKeys, readFileSync(`${ensureUserKey()}.pub`), { mode: 0o600 });
  // Running as root, sshd insists on its privilege-separation directory (made by the service unit normally).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }
  return { home, ...p };
}

/** sshd_config's quoting (argv_split in OpenSSH's misc.c): double quotes, backslash escapes. */
const sshdQuote = (v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

function writeSshdConfig(p, port, env, guest) {
  const q = (v) => `"${v}"`;
  const lines = [
    '# The "guest" sshd of the fake limactl (test/sim). It runs as the current user.',
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${q(p.hostKey)}`,
    `PidFile ${q(p.pidFile)}`,
    `AuthorizedKeysFile ${q(p.authorizedKeys)}`,
    `AllowUsers ${sim().loginUser}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    // OpenSSH's default, as Ubuntu ships it: a stale socket file makes a new reverse forward fail, which
    // is why Lima runs `rm -f <guestSocket>` first (pkg/hostagent/hostagent.go, forwardSSH).
    'StreamLocalBindUnlink no',
    'AcceptEnv LANG LC_*',
    'PermitUserEnvironment no',
    // sshd would run the OS user's ~/.ssh/rc; the guest user has none.
    'PermitUserRC no',
    'LogLevel ERROR',
  ];
  // sshd logs in the OS user, whose passwd entry names this machine's home and shell: sshd would set HOME
  // to that home, start there, and run its shell, which reads that user's dotfiles (~/.bashrc for an ssh
  // command, ~/.profile for a login shell). A Lima guest's user has the guest home and `user.shell`. So the
  // OS user's shell gets an empty HOME (SetEnv below; sshd applies SetEnv after HOME, session.c
  // do_setup_env) and only runs the forced bin/guest-session, which gives the guest user's home, working
  // folder and shell to the command sshd was asked to run (SSH_ORIGINAL_COMMAND).
  lines.push(`ForceCommand /bin/sh ${[GUEST_SESSION, guest.home, guest.shell].map(shellQuote).join(' ')}`);
  // A subsystem request goes through the ForceCommand too, so sftp (and scp, which speaks it) needs a
  // program the guest shell can run: Ubuntu's sshd_config names sftp-server.
  const sftpServer = SFTP_SERVERS.find((file) => existsSync(file));
  if (sftpServer) lines.push(`Subsystem sftp ${sftpServer}`);
  // lima.yaml `env` becomes the guest's /etc/environment, which pam_env gives every ssh session, login
  // shell or not (pkg/cidata/cidata.TEMPLATE.d/boot.Linux/07-etc-environment.sh). The sim's sshd has no
  // PAM: SetEnv gives every session the same variables, with the values as written (no templates).
  // What every session of a real Ubuntu guest also has: XDG_RUNTIME_DIR from pam_systemd (the user's
  // runtime dir, where user services put their sockets), and a PATH with the folder apt installs to (the
  // sim's guest bin stands for /usr/bin) for commands run without a login shell (`ssh lima-x wezterm …`).
  const s = sim();
  const session = {
    HOME: p.shellHome,
    XDG_RUNTIME_DIR: path.join(s.guestRoot, 'run', 'user', String(s.uid)),
    PATH: `${path.join(s.guestRoot, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  };
  const pairs = Object.entries({ ...session, ...env }).map(([k, v]) => sshdQuote(`${k}=${v}`));
  if (pairs.length > 0) lines.push(`SetEnv ${pairs.join(' ')}`);
  writeFileSync(p.config, `${lines.join('\n')}\n`);
}

/** Start sshd detached (it outlives limactl, like the host agent); returns its pid. */
export function spawnSshd(dir, p, port, env = {}, shell = '/bin/bash') {
  writeSshdConfig(p, port, env, { home: p.home, shell });
  const log = openSync(path.join(dir, 'ha.stderr.log'), 'a');
  const child = spawn(sim().sshd, ['-D', '-e', '-f', p.config], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new LimaError(`fake limactl: could not start ${sim().sshd}`);
  const watchdog = spawn(
    process.execPath,
    // The trailing separator puts the instance marker in its command line, so stop kills it too.
    [path.join(import.meta.dirname, 'watchdog.mjs'), `${dir}${path.sep}`, sim().root, String(child.pid)],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  return child.pid;
}
