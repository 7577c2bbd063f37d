#!/usr/bin/env node
// The fake plutil of the simulated Mac (test/sim): only `plutil -lint FILE...`, which "prints FILE: OK,
// exits 0 on success, 1 on failure" (plutil(1)). The parser is the project's own `plist` package.
import '../lib/delay.mjs';
import { writeSync } from 'node:fs';
import { readPlist } from '../lib/launchd.mjs';

const [option, ...files] = process.argv.slice(2);
if (option !== '-lint' || files.length === 0) {
  writeSync(
    2,
    `fake plutil (test/sim) only simulates \`plutil -lint FILE...\`, not \`plutil ${process.argv.slice(2).join(' ')}\`\n`,
  );
  process.exit(1);
}
let failed = false;
for (const file of files) {
  try {
    await readPlist(file);
    writeSync(1, `${file}: OK\n`);
  } catch (error) {
    failed = true;
    const why =
      error.code === 'ENOENT' || error.code === 'EISDIR'
        ? 'file does not exist or is not readable or is not a regular file'
        : String(error.message ?? error).split('\n')[0];
    writeSync(2, `${file}: ${why}\n`);
  }
}
process.exit(failed ? 1 : 0);
