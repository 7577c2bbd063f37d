#!/usr/bin/env node
// `sudo` in the simulated guest (test/sim). The guest is the test machine itself, so this fake never runs
// anything as root there: it records each call (argv and stdin) in <guest root>/sudo.log, runs the fake
// apt-get and loginctl, maps system paths (/etc, /usr, /var, /opt) into <guest root> for the few file commands asc's
// plugins use, and for `sh -c SCRIPT` performs only the script's apt-get lines.
// Settings (from the wrapper test/sim/index.ts writes): FAKE_GUEST_ROOT, FAKE_SIM_ROOT.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

const guestRoot = process.env.FAKE_GUEST_ROOT ?? '';
const simRoot = process.env.FAKE_SIM_ROOT ?? '';
const argv = process.argv.slice(2);

// sudo's own options: -n (non-interactive), -E, -H; then the command.
while (argv.length > 0 && argv[0]?.startsWith('-')) {
  const flag = argv.shift();
  if (flag === '--') break;
  if (!['-n', '-E', '-H'].includes(flag ?? '')) {
    process.stderr.write(`fake sudo (test/sim): option ${flag} is not simulated\n`);
    process.exit(1);
  }
}
if (argv.length === 0) {
  process.stderr.write('usage: sudo -h | -K | -k | -V\n');
  process.exit(1);
}

const fileCommands = new Set(['tee', 'mkdir', 'install', 'chmod', 'chown', 'rm', 'cat', 'ln', 'test']);
const input = fileCommands.has(argv[0] ?? '') || argv[0] === 'sh' ? readStdin() : '';
appendFileSync(path.join(guestRoot, 'sudo.log'), `${JSON.stringify({ argv, input })}\n`);

const env = { ...process.env, FAKE_SUDO: '1' };
const run = (file, args, stdin = '') => {
  const result = spawnSync(file, args, { env, input: stdin, stdio: ['pipe', 'inherit', 'inherit'] });
  return result.status ?? 1;
};

const [command, ...rest] = argv;
if (command === 'apt-get' || command === 'apt' || command === 'loginctl') {
  process.exit(run(command, rest));
}
if (command === 'sh' && rest[0] === '-c' && rest[1] !== undefined) {
  // Only the apt-get lines of the script: the rest (curl | gpg, tee /etc/apt/…) is recorded, not run.
  for (const line of rest[1].split('\n')) {
    const match = /^\s*(?:sudo\s+(?:-n\s+)?)?(apt-get|apt)\s+(.*?)\s*$/.exec(line);
    if (!match) continue;
    const code = run(match[1], match[2].split(/\s+/).filter(Boolean));
    if (code !== 0) process.exit(code);
  }
  process.exit(0);
}
if (fileCommands.has(command ?? '')) {
  // "/etc/profile.d/x.sh" in the guest is "<guest root>/etc/profile.d/x.sh" here.
  const mapped = rest.map((arg) =>
    /^\/(etc|usr|var|opt)(\/|$)/.test(arg) && !arg.startsWith(`${simRoot}/`)
      ? path.join(guestRoot, arg)
      : arg,
  );
  process.exit(run(command, mapped, input));
}
process.stderr.write(`fake sudo (test/sim): \`${argv.join(' ')}\` is not run as root on the test machine\n`);
process.exit(1);

function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
