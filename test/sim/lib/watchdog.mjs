// Safety net started next to each sim sshd: if a test removes the instance (or its whole sandbox) without
// stopping it, kill what the sim left running there. It exits on its own once sshd is gone.
// Usage: node watchdog.mjs <instance dir> <sandbox root> <sshd pid>
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isAlive, killTrees } from './procs.mjs';

const [dirArg = '', root = '', pidText = ''] = process.argv.slice(2);
const dir = dirArg.replace(/\/+$/, '');
const sshd = Number(pidText);

const timer = setInterval(async () => {
  if (!isAlive(sshd)) {
    clearInterval(timer);
    return;
  }
  if (existsSync(dir)) return;
  clearInterval(timer);
  const sandboxGone = root !== '' && !existsSync(root);
  const marker = `${sandboxGone ? root : dir}${path.sep}`;
  await killTrees({
    roots: [sshd],
    match: (p) => p.cmdline.includes(marker) || (sandboxGone && p.environ.includes(marker)),
  });
}, 1000);
