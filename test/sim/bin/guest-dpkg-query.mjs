#!/usr/bin/env node
// `dpkg-query -W [-f=FORMAT | -f FORMAT] PACKAGE` in the simulated guest (test/sim): reads the fake dpkg
// database the fake apt-get keeps, <guest root>/var/lib/dpkg/status (dpkg's own format: paragraphs of
// Package, Status, Version). The format knows ${Package}, ${Version} and ${Status}; the default is
// `${Package}\t${Version}\n`. A package that is not installed: "dpkg-query: no packages found matching
// PKG" on stderr, exit 1.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let format = `\${Package}\t\${Version}\n`;
const names = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '-W' || arg === '--show') continue;
  if (arg === '-f' || arg === '--showformat') format = args[++i] ?? '';
  else if (arg.startsWith('-f=') || arg.startsWith('--showformat=')) format = arg.slice(arg.indexOf('=') + 1);
  else if (arg.startsWith('-')) {
    process.stderr.write(`fake dpkg-query (test/sim): ${arg} is not simulated\n`);
    process.exit(2);
  } else names.push(arg);
}
let status = '';
try {
  status = readFileSync(path.join(process.env.FAKE_GUEST_ROOT ?? '', 'var/lib/dpkg/status'), 'utf8');
} catch {}
const installed = new Map();
for (const block of status.split('\n\n')) {
  const fields = Object.fromEntries(
    block
      .split('\n')
      .filter((l) => l.includes(': '))
      .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
  );
  if (fields.Package && fields.Status === 'install ok installed') installed.set(fields.Package, fields);
}
let code = 0;
for (const name of names) {
  const fields = installed.get(name);
  if (!fields) {
    process.stderr.write(`dpkg-query: no packages found matching ${name}\n`);
    code = 1;
    continue;
  }
  process.stdout.write(
    format
      .replace(/\$\{(\w+)\}/g, (_, key) => fields[key] ?? '')
      .replaceAll('\\n', '\n')
      .replaceAll('\\t', '\t'),
  );
}
process.exit(code);
