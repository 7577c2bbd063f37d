#!/usr/bin/env node
// npm runs `prepare` after every install of this folder. A development install builds dist/ with tsup; a
// production one (`npm ci --omit=dev`) has no tsup and needs none: it runs the dist/ it was given.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('tsup');
} catch {
  process.exit(0);
}
const build = spawnSync('npx', ['tsup'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
