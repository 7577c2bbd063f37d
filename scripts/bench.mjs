#!/usr/bin/env node
// npm run bench: how fast asc starts and how little its runner costs, against bare node and a shell on the
// same machine in the same run (medians of 5). Prints figures and the targets; it judges nothing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const RUNS = 5;
const work = mkdtempSync(path.join(tmpdir(), 'asc-bench-'));
const home = path.join(work, 'home');
mkdirSync(home);
const env = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', LANG: 'C.UTF-8' };

/** Wall time of one run in ms (stdout to a pipe that is drained and dropped). */
function time(file, args, cwd = work) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`.slice(0, 2000),
    );
  }
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time of RUNS runs after one warm-up run. */
function measure(file, args, cwd) {
  time(file, args, cwd);
  return median(Array.from({ length: RUNS }, () => time(file, args, cwd)));
}

/** Peak RSS of the asc process itself, read at exit by a preloaded probe. */
function peakRss(args, cwd) {
  const probe = path.join(work, 'rss-probe.mjs');
  const out = path.join(work, 'rss.txt');
  writeFileSync(
    probe,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  time(process.execPath, ['--import', probe, CLI, ...args], cwd);
  return Number(readFileSync(out, 'utf8')) / 1024; // KiB → MiB
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;
const mib = (value) => `${value.toFixed(0)} MiB`;
const rows = [];
const row = (name, value, target = '') => rows.push([name, value, target]);

// 1. Start-up: --version and --help against bare node.
const bare = measure(process.execPath, ['-e', '0']);
const version = measure(process.execPath, [CLI, '--version']);
const help = measure(process.execPath, [CLI, '--help']);
row('node -e 0', fmt(bare));
row('asc --version', `${fmt(version)} (${(version / bare).toFixed(2)}× node)`, 'within 2× of node');
row('asc --help', `${fmt(help)} (${(help / bare).toFixed(2)}× node)`);
row('peak RSS asc --version', mib(peakRss(['--version'], work)), '< 120 MiB');

// 2. The runner alone: 2000 converged no-op tasks from a bench-only plugin, in chains of 20.
const pluginDir = path.join(work, 'noop');
mkdirSync(pluginDir);
writeFileSync(
  path.join(pluginDir, 'noop-plugin.mjs'),
  `const CHAINS = 100, LENGTH = 20;
export default {
  name: 'noop',
  tasks: (options) => {
    const tasks = [];
    for (let c = 0; c < (options.count ?? 2000) / LENGTH; c++) {
      for (let i = 0; i < LENGTH; i++) {
        tasks.push({
          id: 'c' + c + '-' + i,
          needs: i === 0 ? [] : ['noop.c' + c + '-' + (i - 1)],
          check: async () => ({ converged: true }),
          apply: async () => {},
        });
      }
    }
    return tasks;
  },
};
`,
);
writeFileSync(path.join(pluginDir, '.ascrc.yaml'), 'plugins:\n  ./noop-plugin.mjs: {}\n');
const emptyDir = path.join(work, 'empty');
mkdirSync(emptyDir);
writeFileSync(path.join(emptyDir, '.ascrc.yaml'), 'plugins:\n  ../noop/noop-plugin.mjs: { count: 0 }\n');
const empty = measure(process.execPath, [CLI, 'run', 'all'], emptyDir);
const noop = measure(process.execPath, [CLI, 'run', 'all'], pluginDir);
const noopJson = measure(process.execPath, [CLI, 'run', 'all', '--json'], pluginDir);
row('asc run, 0 tasks (start-up floor)', fmt(empty));
row('asc run, 2000 converged no-op tasks', fmt(noop));
row('  runner overhead per task', `${((noop - empty) / 2000).toFixed(3)} ms`, '< 0.5 ms');
row('  same with --json', `${fmt(noopJson)}, ${((noopJson - empty) / 2000).toFixed(3)} ms/task`);
row('peak RSS, 2000 tasks', mib(peakRss(['run', 'all'], pluginDir)), '< 120 MiB');

// 3. 100 converged user tasks whose check is /bin/true, against node + the same 100 spawns from a shell.
const userDir = path.join(work, 'user');
mkdirSync(userDir);
const tasks = Array.from(
  { length: 100 },
  (_, i) => `  - id: t.n${i}\n    check: /bin/true\n    apply: /bin/true\n`,
);
writeFileSync(path.join(userDir, '.ascrc.yaml'), `tasks:\n${tasks.join('')}`);
const loop = measure('sh', ['-c', 'i=0; while [ $i -lt 100 ]; do sh -c /bin/true; i=$((i+1)); done']);
const floor = bare + loop;
const user = measure(process.execPath, [CLI, 'run', 'all'], userDir);
row('shell loop: 100 × sh -c /bin/true', fmt(loop));
row('floor: node -e 0 + the loop', fmt(floor));
row(
  'asc run, 100 user tasks (/bin/true)',
  `${fmt(user)} (${(user / floor).toFixed(2)}× floor)`,
  'within 1.3× of floor',
);
row('peak RSS, 100 user tasks', mib(peakRss(['run', 'all'], userDir)), '< 120 MiB');

rmSync(work, { recursive: true, force: true });
const width = Math.max(...rows.map((r) => r[0].length));
const valueWidth = Math.max(...rows.map((r) => r[1].length));
console.log(`asc bench — node ${process.version}, medians of ${RUNS} runs after a warm-up\n`);
for (const [name, value, target] of rows) {
  console.log(
    `${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${target ? `target: ${target}` : ''}`.trimEnd(),
  );
}
