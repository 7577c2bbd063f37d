// `npm run try`: a shell on the simulated Mac of the tests (test/sim), to play with asc on Linux. Its PATH
// has `asc` (this checkout's build), and the Mac's `limactl`, `lima`, `colima`, `launchctl`, `op`; the VM
// is a real sshd; `ssh lima-default` and `docker` (Colima's daemon) work as on the Mac. Everything lives in
// one temporary folder, removed with every process it started when the shell exits.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLI } from '../test/harness/sandbox.ts';
import { everyPluginMac, simUnavailable } from './bench-sim.ts';

const why = simUnavailable();
if (why) {
  console.error(`npm run try: the simulated Mac cannot run here: ${why}`);
  process.exit(1);
}

console.error('npm run try: setting up the simulated Mac (Colima, 1Password’s agent, WezTerm, a VM to be)…');
const { sandbox, mac, config } = await everyPluginMac();
let cleaned = false;
const cleanup = async () => {
  if (cleaned) return;
  cleaned = true;
  await mac.stopAll();
  await sandbox.cleanup();
};

try {
  const cwd = path.join(sandbox.home, 'sysinit');
  await sandbox.write('sysinit/.ascrc.yaml', config);
  await sandbox.addBin(
    'asc',
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
  );
  // Colima's socket, where everyPluginMac started it; on a Mac its docker context points there.
  const colima = path.join(sandbox.home, '.colima/default/docker.sock');
  // OpenSSH reads ~/.ssh/config from the passwd entry's home, not $HOME: point it at the Mac's.
  const rc = await sandbox.write(
    '.try-bashrc',
    [
      '[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc',
      'ssh() { if [ -f "$HOME/.ssh/config" ]; then command ssh -F "$HOME/.ssh/config" "$@"; else command ssh "$@"; fi; }',
      `export DOCKER_HOST=${JSON.stringify(`unix://${colima}`)}`,
      `PS1='(simulated Mac) \\w \\$ '`,
      `cd ${JSON.stringify(cwd)}`,
      'cat <<EOF',
      '',
      'A simulated Mac: HOME is a temporary folder, the VM "default" is a real sshd on this machine.',
      'Colima runs (docker ps), 1Password’s SSH agent holds a key, ~/sysinit/.ascrc.yaml turns on',
      'lima, wezterm, docker, onepassword and launchd. Try:',
      '',
      '  asc plan all            what asc would do, with diffs (nothing changes)',
      '  asc run all --yes       create and start the VM, then everything else',
      '  asc status all          exit 0 once converged',
      '  ssh lima-default        the VM, as WezTerm reaches it',
      '  lima docker ps          the Mac’s Docker, from inside the VM',
      '  asc doctor; asc uninstall',
      '',
      'exit leaves, and removes all of it.',
      'EOF',
      '',
    ].join('\n'),
  );
  const shell = spawn('bash', ['--rcfile', rc, '-i'], {
    cwd,
    env: { ...sandbox.env, TERM: process.env.TERM ?? 'xterm', LANG: process.env.LANG ?? 'C.UTF-8' },
    stdio: 'inherit',
  });
  // Ctrl-C belongs to the shell and what runs in it, not to this script.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => shell.kill('SIGHUP'));
  await new Promise<void>((resolve) => shell.on('exit', () => resolve()));
  process.off('SIGINT', ignore);
} finally {
  console.error('npm run try: stopping the VM and removing the simulated Mac…');
  await cleanup();
}
