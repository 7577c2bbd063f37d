#!/usr/bin/env node
// `apt-get` in the simulated guest (test/sim). `update` succeeds; `install PKG…` "installs" a package by
// linking the program the test named for it into the guest's bin folder (first on the guest PATH), and
// logs it to <guest root>/apt.log. Like apt-get, it needs root (here: the fake sudo), and an unknown
// package fails with "Unable to locate package", exit 100.
// Settings: FAKE_GUEST_ROOT, FAKE_GUEST_BIN, FAKE_APT_PACKAGES (JSON: package → { program, target }).
import { appendFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const guestRoot = process.env.FAKE_GUEST_ROOT ?? '';
const bin = process.env.FAKE_GUEST_BIN ?? '';
const packages = JSON.parse(process.env.FAKE_APT_PACKAGES ?? '{}');
const args = process.argv.slice(2);
const words = args.filter((a) => !a.startsWith('-'));
const [command, ...names] = words;

if (process.env.FAKE_SUDO !== '1') {
  process.stderr.write(
    'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n',
  );
  process.exit(100);
}
if (command === 'update') {
  if (!args.includes('-qq')) process.stdout.write('Reading package lists... Done\n');
  process.exit(0);
}
if (command !== 'install') {
  process.stderr.write(`fake apt-get (test/sim): \`apt-get ${args.join(' ')}\` is not simulated\n`);
  process.exit(100);
}
for (const name of names) {
  if (!packages[name]) {
    process.stderr.write(`E: Unable to locate package ${name}\n`);
    process.exit(100);
  }
}
for (const name of names) {
  const { program, target } = packages[name];
  const link = path.join(bin, program);
  rmSync(link, { force: true });
  symlinkSync(target, link);
  appendFileSync(path.join(guestRoot, 'apt.log'), `${name}\n`);
  if (!args.includes('-qq')) process.stdout.write(`Setting up ${name} ...\n`);
}
