// The fake host agent of the simulated VM (whose sshd is guest-sshd.mjs): it writes ssh.config and
// ha.pid/vz.pid, waits for ssh, and sets up the ControlMaster and the socket forwards as Lima does.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { info, LimaError, warn } from './log.mjs';
import { isAlive, killTrees, readPidFile } from './procs.mjs';
import { configDir, readLimaVersion, sim } from './store.mjs';
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

/** The host agent's own ssh: Lima's options (ControlMaster on <dir>/ssh.sock) with `-F /dev/null`. */
function masterSshArgs(dir, port) {
  return [
    '-F',
    '/dev/null',
    ...sshOptions(dir).flatMap((o) => ['-o', o]),
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(port),
  ];
}

/**
 * The "Explicitly start ssh ControlMaster" requirement (pkg/hostagent/requirements.go): one command over
 * ssh with ControlMaster=auto and ControlPersist=yes leaves a master on <dir>/ssh.sock in the background.
 * The socket forwards ride it. Returns true when the master answers `ssh -O check`.
 */
export function startControlMaster(dir, port) {
  const args = masterSshArgs(dir, port);
  spawnSync('ssh', [...args, '127.0.0.1', 'true'], { stdio: 'ignore', timeout: 30_000 });
  return (
    spawnSync('ssh', [...args, '-O', 'check', '127.0.0.1'], { stdio: 'ignore', timeout: 10_000 }).status === 0
  );
}

/**
 * A socket rule of portForwards, set up at start like pkg/hostagent forwardSSH: over the ControlMaster,
 * `ssh -O forward -R <guestSocket>:<hostSocket>` (reverse: a host service in the guest) after
 * `rm -f <guestSocket>` in the guest, or `ssh -O forward -L <hostSocket>:<guestSocket>`. Lima only warns
 * when a forward fails. Returns whether it was set up.
 */
export function startSocketForward(dir, port, rule) {
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
    return false;
  }
  const args = masterSshArgs(dir, port);
  if (reverse) {
    // sshd creates the socket but not its folder: a missing folder makes the forward fail, as in Lima.
    spawnSync('ssh', [...args, '127.0.0.1', '--', 'rm', '-f', guestSocket], {
      stdio: 'ignore',
      timeout: 30_000,
    });
  } else {
    rmSync(hostSocket, { force: true });
  }
  // Lima makes the folder of the host-side socket (os.MkdirAll(filepath.Dir(local))) in both directions.
  mkdirSync(path.dirname(hostSocket), { recursive: true });
  const spec = reverse ? ['-R', `${guestSocket}:${hostSocket}`] : ['-L', `${hostSocket}:${guestSocket}`];
  const result = spawnSync('ssh', [...args, '-T', '-O', 'forward', ...spec, '-N', '-f', '127.0.0.1', '--'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    warn(`Failed to set up forward from ${from} to ${to}`, { error: (result.stderr ?? '').trim() });
    return false;
  }
  appendFileSync(path.join(dir, 'fake-forwards'), `${created}\n`);
  return true;
}

/** Everything the sim started for this instance: sshd (ha.pid/vz.pid), forwards, masters on ssh.sock. */
export async function killInstanceProcesses(dir) {
  const roots = [];
  for (const file of ['ha.pid', 'vz.pid', path.join('fake-sshd', 'sshd.pid')]) {
    const pid = readPidFile(path.join(dir, file));
    if (pid) roots.push(pid);
  }
  const sockets = readFileOr(path.join(dir, 'fake-forwards')).split('\n').filter(Boolean);
  // The ControlMaster on <dir>/ssh.sock (forwards ride it) and anything else naming the instance folder.
  const marker = `${dir}${path.sep}`;
  await killTrees({ roots, match: (p) => p.cmdline.includes(marker) });
  // Lima removes the forwarded sockets when it cancels the forwards.
  for (const socket of sockets) rmSync(socket, { force: true });
  for (const file of [
    'ha.pid',
    'vz.pid',
    'fake-forwards',
    'ssh.sock',
    'ha.sock',
    path.join('fake-sshd', 'sshd.pid'),
  ]) {
    rmSync(path.join(dir, file), { force: true });
  }
}
