#!/usr/bin/env node
// `apt-get` in the simulated guest (test/sim). `update` succeeds; `install PKG…` "installs" a package by
// linking the programs the test named for it into the guest's bin folder (first on the guest PATH), and
// logs it to <guest root>/apt.log. Like apt-get, it needs root (here: the fake sudo), and an unknown
// package fails with "Unable to locate package", exit 100.
// A package with versions (the last is the candidate) takes `PKG=VERSION`: an unknown version fails with
// "Version 'V' for 'PKG' was not found", exit 100. Its programs are small wrappers that export
// FAKE_PACKAGE_VERSION, and the install is recorded in the fake dpkg database,
// <guest root>/var/lib/dpkg/status, that the fake dpkg-query reads.
// Settings: FAKE_GUEST_ROOT, FAKE_GUEST_BIN, FAKE_APT_PACKAGES (JSON: package → { programs, versions? }).
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const guestRoot = process.env.FAKE_GUEST_ROOT ?? '';
const bin = process.env.FAKE_GUEST_BIN ?? '';
const packages = JSON.parse(process.env.FAKE_APT_PACKAGES ?? '{}');
const args = process.argv.slice(2);
const words = args.filter((a) => !a.startsWith('-'));
const [command, ...names] = words;
const shq = (s) => `'${s.replaceAll("'", `'"'"'`)}'`;

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
const wanted = names.map((word) => {
  const eq = word.indexOf('=');
  return eq === -1
    ? { name: word, version: undefined }
    : { name: word.slice(0, eq), version: word.slice(eq + 1) };
});
for (const { name, version } of wanted) {
  const pkg = packages[name];
  if (!pkg) {
    process.stderr.write(`E: Unable to locate package ${name}\n`);
    process.exit(100);
  }
  if (version !== undefined && !(pkg.versions ?? []).includes(version)) {
    process.stderr.write(`E: Version '${version}' for '${name}' was not found\n`);
    process.exit(100);
  }
}
for (const { name, version: asked } of wanted) {
  const pkg = packages[name];
  const version = asked ?? pkg.versions?.at(-1);
  for (const [program, target] of Object.entries(pkg.programs)) {
    const file = path.join(bin, program);
    rmSync(file, { force: true });
    if (version === undefined) symlinkSync(target, file);
    else {
      // A Node fake runs with this Node: the guest PATH of a service or a plain ssh command may not have it.
      const run = /\.m?js$/.test(target) ? `${shq(process.execPath)} ${shq(target)}` : shq(target);
      const script = `#!/bin/sh\nFAKE_PACKAGE_VERSION=${shq(version)}\nexport FAKE_PACKAGE_VERSION\nexec ${run} "$@"\n`;
      writeFileSync(file, script, { mode: 0o755 });
    }
  }
  if (version !== undefined) record(name, version);
  appendFileSync(path.join(guestRoot, 'apt.log'), `${asked === undefined ? name : `${name}=${asked}`}\n`);
  if (!args.includes('-qq')) process.stdout.write(`Setting up ${name} (${version ?? 'fake'}) ...\n`);
}

/** The package's paragraph in dpkg's status file, replacing an older one. */
function record(name, version) {
  const file = path.join(guestRoot, 'var/lib/dpkg/status');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {}
  const blocks = text.split('\n\n').filter((b) => b.trim() !== '' && !b.startsWith(`Package: ${name}\n`));
  blocks.push(`Package: ${name}\nStatus: install ok installed\nVersion: ${version}`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${blocks.join('\n\n')}\n`);
}
