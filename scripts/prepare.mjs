#!/usr/bin/env node
// npm runs `prepare` after every install of this folder. A development install builds dist/ (rolldown,
// then tsup for the declarations); a production one (`npm ci --omit=dev`) has neither and needs
// neither: it runs the dist/ it was given.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('rolldown');
} catch {
  process.exit(0);
}
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
