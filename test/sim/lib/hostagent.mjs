// The simulated VM: a real OpenSSH sshd on 127.0.0.1 stands in for the guest (the "guest" is this machine),
// and the fake host agent writes ssh.config, ha.pid/vz.pid and the reverse socket forwards as Lima does.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { info, LimaError, warn } from './log.mjs';
import { isAlive, killTrees, readPidFile } from './procs.mjs';
import { configDir, guestHome, readLimaVersion, sim } from './store.mjs';
import { compareVersions, hostnameOf } from './util.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `_config/user`: an ed25519 key made with ssh-keygen on first use (pkg/sshutil/sshutil.go). */
export function ensureUserKey() {
  const key = path.join(configDir(), 'user');
  if (!existsSync(key)) {
    mkdirSync(configDir(), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lima', '-f', key], {
      stdio: 'ignore',
    });
  }
  return key;
}

/** sshutil.SSHOpts, in its order (CommonOpts, then User/Control*). */
export function sshOptions(dir) {
  return [
    `IdentityFile="${path.join(configDir(), 'user')}"`,
    'StrictHostKeyChecking=no',
    'UserKnownHostsFile=/dev/null',
    'NoHostAuthenticationForLocalhost=yes',
    'PreferredAuthentications=publickey',
    'Compression=no',
    'BatchMode=yes',
    'IdentitiesOnly=yes',
    'GSSAPIAuthentication=no',
    'Ciphers="^aes128-gcm@openssh.com,aes256-gcm@openssh.com"',
    // Lima logs in as the guest user, which has the host user's name; the sim's sshd only knows OS users.
    `User=${sim().loginUser}`,
    'ControlMaster=auto',
    `ControlPath="${path.join(dir, 'ssh.sock')}"`,
    'ControlPersist=yes',
  ];
}

/** hostagent.writeSSHConfigFile: the header, `Host lima-<name>`, two-space `Key Value` lines, mode 0600. */
export function writeSshConfig(name, dir, port) {
  const opts = [...sshOptions(dir), 'Hostname=127.0.0.1', `Port=${port}`];
  const body = opts.map((o) => {
    const eq = o.indexOf('=');
    return `  ${o.slice(0, eq)} ${o.slice(eq + 1)}\n`;
  });
  const text =
    "# This SSH config file can be passed to 'ssh -F'.\n" +
    '# This file is created by Lima, but not used by Lima itself currently.\n' +
    '# Modifications to this file will be lost on restarting the Lima instance.\n' +
    `Host ${hostnameOf(name)}\n${body.join('')}`;
  writeFileSync(path.join(dir, 'ssh.config'), text, { mode: 0o600 });
}

/** A port nobody listens on right now (freeport.TCP). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * determineSSHLocalPort: `ssh.localPort` wins; `default` created by Lima < 2.0 keeps 60022; otherwise a new
 * free port at every start (pkg/hostagent, determineSSHLocalPort; lima#3780).
 */
export async function chooseSshPort(name, dir, config) {
  const fixed = Number(config.ssh?.localPort) || 0;
  if (fixed > 0) return fixed;
  const created = readLimaVersion(dir);
  if (name === 'default' && created !== '' && compareVersions(created, '2.0.0') < 0) return 60022;
  // A new port at every start; the sim also avoids the previous one so that tests can rely on a change.
  const previous = /^\s*Port (\d+)\s*$/m.exec(readFileOr(path.join(dir, 'ssh.config')))?.[1];
  let port = await freePort();
  for (let i = 0; i < 5 && String(port) === previous; i++) port = await freePort();
  return port;
}

function readFileOr(file, fallback = '') {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function sshdPaths(dir) {
  const base = path.join(dir, 'fake-sshd');
  return {
    base,
    config: path.join(base, 'sshd_config'),
    hostKey: path.join(base, 'ssh_host_ed25519_key'),
    authorizedKeys: path.join(base, 'authorized_keys'),
    pidFile: path.join(base, 'sshd.pid'),
  };
}

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

function writeSshdConfig(p, port) {
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
    'StreamLocalBindUnlink yes',
    'AcceptEnv LANG LC_*',
    'PermitUserEnvironment no',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
  ];
  writeFileSync(p.config, `${lines.join('\n')}\n`);
}

/** Start sshd detached (it outlives limactl, like the host agent); returns its pid. */
export function spawnSshd(dir, p, port) {
  writeSshdConfig(p, port);
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

/** Options for the host agent's own connections: no ControlMaster, so nothing lingers after them. */
export function agentSshArgs(dir) {
  return [
    '-F',
    path.join(dir, 'ssh.config'),
    '-o',
    'ControlMaster=no',
    '-o',
    'ControlPath=none',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** Wait (bounded) until sshd accepts a real key login: Lima's "ssh" essential requirement. */
export async function waitForSsh(name, dir, pid, port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      const log = readFileSync(path.join(dir, 'ha.stderr.log'), 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
      const error = new LimaError(`fake limactl: sshd exited during start:\n${log}`);
      error.sshdExited = true;
      throw error;
    }
    const probe = spawnSync(
      'ssh',
      [...agentSshArgs(dir), '-o', 'ConnectTimeout=5', hostnameOf(name), 'true'],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
    if (probe.status === 0) return;
    lastError = (probe.stderr || probe.error?.message || '').trim();
    await sleep(50);
  }
  throw new LimaError(`fake limactl: sshd on port ${port} did not accept a login in time: ${lastError}`);
}

/**
 * A socket rule of portForwards, set up at start like pkg/hostagent forwardSSH: `reverse: true` is
 * `ssh -R <guestSocket>:<hostSocket>` (host service in the guest), otherwise `ssh -L <hostSocket>:<guestSocket>`.
 * Lima rides its ControlMaster (`ssh -O forward`); the sim uses one connection per rule so the pid is known.
 * Returns the ssh pid, or 0 with a warning (Lima only warns) when the forward could not be set up.
 */
export async function startSocketForward(name, dir, rule) {
  const { guestSocket, hostSocket, reverse } = rule;
  const [from, to] = reverse
    ? [`"${hostSocket}" (host)`, `"${guestSocket}" (guest)`]
    : [`"${guestSocket}" (guest)`, `"${hostSocket}" (host)`];
  info(`Forwarding ${from} to ${to}`);
  // The "guest" is this machine: the sim only creates sockets inside the sandbox.
  const created = reverse ? guestSocket : hostSocket;
  const root = sim().root;
  if (!path.resolve(created).startsWith(`${root}${path.sep}`)) {
    warn(`fake limactl: not forwarding ${from} to ${to}: the sim only creates sockets inside ${root}`);
    return 0;
  }
  // Lima runs `rm -f <guestSocket>` in the guest first (reverse), or removes a stale host socket.
  rmSync(created, { force: true });
  mkdirSync(path.dirname(created), { recursive: true });
  const log = openSync(path.join(dir, 'ha.stderr.log'), 'a');
  const spec = reverse ? ['-R', `${guestSocket}:${hostSocket}`] : ['-L', `${hostSocket}:${guestSocket}`];
  const child = spawn(
    'ssh',
    [...agentSshArgs(dir), '-N', '-o', 'ExitOnForwardFailure=yes', ...spec, hostnameOf(name)],
    {
      detached: true,
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log);
  child.unref();
  const pid = child.pid ?? 0;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && isAlive(pid)) {
    try {
      if (lstatSync(created).isSocket()) {
        appendFileSync(path.join(dir, 'fake-forwards.pid'), `${pid} ${created}\n`);
        return pid;
      }
    } catch {}
    await sleep(25);
  }
  await killTrees({ roots: [pid], graceMs: 500 });
  warn(`failed to set up forwarding ${from} to ${to}`);
  return 0;
}

/** Everything the sim started for this instance: sshd (ha.pid/vz.pid), forwards, masters on ssh.sock. */
export async function killInstanceProcesses(dir) {
  const roots = [];
  for (const file of ['ha.pid', 'vz.pid', path.join('fake-sshd', 'sshd.pid')]) {
    const pid = readPidFile(path.join(dir, file));
    if (pid) roots.push(pid);
  }
  const sockets = [];
  for (const line of readFileOr(path.join(dir, 'fake-forwards.pid')).split('\n')) {
    const [pid, socket] = [Number(line.split(' ')[0]), line.slice(line.indexOf(' ') + 1)];
    if (pid && isAlive(pid)) roots.push(pid);
    if (pid && socket) sockets.push(socket);
  }
  const marker = `${dir}${path.sep}`;
  await killTrees({ roots, match: (p) => p.cmdline.includes(marker) });
  // Lima removes the forwarded sockets when it cancels the forwards.
  for (const socket of sockets) rmSync(socket, { force: true });
  for (const file of [
    'ha.pid',
    'vz.pid',
    'fake-forwards.pid',
    'ssh.sock',
    'ha.sock',
    path.join('fake-sshd', 'sshd.pid'),
  ]) {
    rmSync(path.join(dir, file), { force: true });
  }
}
