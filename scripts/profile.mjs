#!/usr/bin/env node
// node scripts/profile.mjs [--cwd DIR] [--runs N] -- <asc arguments>: where one asc command spends its
// time, from V8's CPU profile (--cpu-prof, 100 µs samples), summed over N runs. Prints self time by
// source (Node's module loader, each bundled package by the source map of dist/, asc's own code), then the
// functions with the most self time. Used for the closing notes of npm run bench's missed targets.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.cjs');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : argv[i + 1];
};
const cwd = path.resolve(option('--cwd', process.cwd()));
const runs = Number(option('--runs', 10));
const args = argv.includes('--') ? argv.slice(argv.indexOf('--') + 1) : ['--help'];

/** For each dist file, the source of each generated line (the bundled package, or asc's own file). */
const sourceOf = new Map();
function lineSources(file) {
  if (sourceOf.has(file)) return sourceOf.get(file);
  let lines = [];
  try {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
    lines = decodeFirstSourcePerLine(map.mappings).map((index) =>
      index === undefined ? undefined : label(map.sources[index]),
    );
  } catch {}
  sourceOf.set(file, lines);
  return lines;
}
function label(source) {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return `npm:${pkg[1]}`;
  return `asc:${source.replace(/^(\.\.\/)+/, '')}`;
}
/** The source index of the first segment of each generated line (VLQ, as the source map spec says). */
function decodeFirstSourcePerLine(mappings) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    let first;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = B64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      if (values.length >= 2) {
        source += values[1];
        first ??= source;
      }
    }
    out.push(first);
  }
  return out;
}

const bySource = new Map();
const byFunction = new Map();
let total = 0;
for (let run = 0; run < runs; run++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'asc-profile-'));
  const result = spawnSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, CLI, ...args],
    {
      cwd,
      stdio: 'ignore',
    },
  );
  if (result.error) throw result.error;
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const { url, functionName, lineNumber } = node.callFrame;
    let where;
    if (!url) where = `(${functionName || 'vm'})`;
    else if (url.startsWith('node:')) where = 'node: module loader and built-ins';
    else if (url.includes('/dist/'))
      where = lineSources(fileURLToPath(url))[lineNumber] ?? `dist:${path.basename(url)}`;
    else where = url;
    bySource.set(where, (bySource.get(where) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
}
const ms = (us) => (us / 1000 / runs).toFixed(1).padStart(7);
console.log(
  `asc ${args.join(' ')} — CPU profile, ${runs} runs, ms per run (self time), ${ms(total).trim()} ms sampled\n`,
);
for (const [where, us] of [...bySource].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${ms(us)}  ${where}`);
console.log('\nfunctions:');
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${ms(us)}  ${fn}`);
