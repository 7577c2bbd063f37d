#!/usr/bin/env node
// The Node versions asc is tested and measured on (docs/decisions.md, "Node 22.12 is the floor"): the
// floor that package.json's `engines` names, and the current LTS. Each is installed on first use from the
// npm registry's `node` package (which brings the real binary as a dependency, node-<os>-<arch>) into
// node_modules/.cache/asc-node/<version>, so neither CI nor `npm run bench` depends on the machine's own
// Node, which may stay older for npm itself.
//
// `node scripts/nodes.mjs` installs what is missing and prints one line per version: `<version> <bin dir>`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The floor (the lowest version `engines` allows) and the current LTS (26, "Active LTS" from 2026-10-28). */
export const NODE_VERSIONS = ['22.12.0', '26.10.0'];

/** The folder holding `node` of each version, installed when missing. */
export function nodeBinDirs(versions = NODE_VERSIONS) {
  return versions.map((version) => {
    const prefix = path.join(ROOT, 'node_modules', '.cache', 'asc-node', version);
    const bin = path.join(prefix, 'node_modules', 'node', 'bin');
    if (!existsSync(path.join(bin, 'node'))) {
      mkdirSync(prefix, { recursive: true });
      const npm = spawnSync(
        'npm',
        ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `node@${version}`],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      if (npm.status !== 0 || !existsSync(path.join(bin, 'node'))) {
        throw new Error(`could not install Node ${version} from the npm registry's node package`);
      }
    }
    return { version, bin };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { version, bin } of nodeBinDirs()) console.log(`${version} ${bin}`);
}
