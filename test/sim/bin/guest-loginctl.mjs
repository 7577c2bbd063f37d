#!/usr/bin/env node
// `loginctl` in the simulated guest (test/sim): lingering, as systemd-logind keeps it, a file per user in
// /var/lib/systemd/linger (here under <guest root>). `show-user [USER] --property=Linger [--value]`
// prints `Linger=yes|no` (or the bare value); `enable-linger`/`disable-linger [USER]` need root (the
// fake sudo): logind asks polkit, which wants interactive authentication from a remote session, and a
// non-interactive one fails with "Interactive authentication required.", exit 1. Each call is appended to
// <guest root>/loginctl.log.
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';

const guestRoot = process.env.FAKE_GUEST_ROOT ?? '';
const args = process.argv.slice(2);
appendFileSync(path.join(guestRoot, 'loginctl.log'), `${JSON.stringify(args)}\n`);
const words = args.filter((a) => !a.startsWith('-'));
const [verb = '', ...users] = words;
const user = users[0] ?? userInfo().username;
const lingerFile = (name) => path.join(guestRoot, 'var', 'lib', 'systemd', 'linger', name);
const root = process.env.FAKE_SUDO === '1';

switch (verb) {
  case 'show-user': {
    const asked = args.filter((a) => a.startsWith('--property=')).flatMap((a) => a.slice(11).split(','));
    const linger = existsSync(lingerFile(user)) ? 'yes' : 'no';
    if (asked.length === 0 || asked.includes('Linger')) {
      process.stdout.write(args.includes('--value') ? `${linger}\n` : `Linger=${linger}\n`);
    }
    break;
  }
  case 'enable-linger':
  case 'disable-linger': {
    const verbName = verb.replace('-linger', '');
    if (!root) {
      process.stderr.write(`Could not ${verbName} linger: Interactive authentication required.\n`);
      process.exit(1);
    }
    for (const name of users.length > 0 ? users : [user]) {
      const file = lingerFile(name);
      if (verb === 'enable-linger') {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, '');
      } else rmSync(file, { force: true });
    }
    break;
  }
  default:
    process.stderr.write(`fake loginctl (test/sim): \`loginctl ${args.join(' ')}\` is not simulated\n`);
    process.exit(1);
}
