#!/usr/bin/env node
// The entry: `--version`, and what must come before asc's chunks load (decision 48). What it imports
// statically (code-cache.ts, stdio.ts) is the `start` chunk, loaded before the code cache is on; the rest
// of the CLI is main.ts, loaded through it.
import pkg from '../package.json' with { type: 'json' };
import { cacheSet, enableCodeCache } from './code-cache.ts';
import { writeOut } from './core/stdio.ts';

// `--version` is answered before any command module or plugin is loaded: scripts call it most.
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  writeOut(`${pkg.version}\n`);
  process.exit(0);
}

enableCodeCache(cacheSet(process.argv.slice(2)));
void import('./main.ts');
