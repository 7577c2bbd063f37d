#!/usr/bin/env node
// npm run bench: how fast asc starts, how little a task and a host command cost, and what a converged run
// costs beyond start-up, each against a floor measured in the same run on the same machine. Runs are
// interleaved (one of each measure per round) and figures are medians, so that a machine others share
// skews floor and measure alike. Prints every row of issues 12's and 19's tables with its target and whether it is met.
//
// It runs once on each Node version asc is tested on (scripts/nodes.mjs: the floor and the current LTS),
// each run under that Node, which also runs every measured command. BENCH_RUNS (default 7) sets the rounds;
// BENCH_NODES=22.12.0,26.10.0 picks versions.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!process.env.ASC_BENCH_CHILD) {
  const { NODE_VERSIONS, nodeBinDirs } = await import('./nodes.mjs');
  const versions = process.env.BENCH_NODES?.split(',') ?? NODE_VERSIONS;
  for (const { bin } of nodeBinDirs(versions)) {
    const child = spawnSync(path.join(bin, 'node'), [fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, ASC_BENCH_CHILD: '1' },
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
    console.log('');
  }
  process.exit(0);
}
// ASC_BENCH_CLI: another build of asc to measure (the run before a change), with this bench.
const CLI = process.env.ASC_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli.cjs');
const NODE = process.execPath;
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS) || 7);
const work = mkdtempSync(path.join(tmpdir(), 'asc-bench-'));
const home = path.join(work, 'home');
mkdirSync(home);
const baseEnv = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', LANG: 'C.UTF-8' };
const loadBefore = loadavg();

/** Wall time of one run in ms (output to pipes, drained and dropped). */
function time(file, args, { cwd = work, env = baseEnv, ok = [0] } = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!ok.includes(result.status)) {
    throw new Error(
      `${file} ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`.slice(0, 3000),
    );
  }
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * Each measure once per round, the order rotated between rounds, after one warm-up of each. Returns every
 * measure's times by name, round by round (so that ratios can be taken within a round).
 */
function interleave(measures, runs = RUNS) {
  const names = Object.keys(measures);
  for (const name of names) measures[name]();
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      times[name][round] = measures[name]();
    }
  }
  return times;
}

/** The median of a/b taken round by round. */
const ratio = (a, b) => median(a.map((value, i) => value / b[i]));

const fmt = (ms) => `${ms.toFixed(0)} ms`;
const x = (value) => `${value.toFixed(2)}×`;
const rows = [];
/** A row of the table: measure, figure, target, and whether the target is met (undefined: no target). */
const row = (measure, figure, target = '', met = undefined) => rows.push({ measure, figure, target, met });
const note = (text) => rows.push({ note: text });

/**
 * A folder with an .ascrc.yaml, written an hour ago as far as its mtime goes: asc caches a config only
 * once it is a few seconds old (src/core/config/cache.ts), and a user's config is older than that.
 */
function project(name, config) {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, '.ascrc.yaml');
  writeFileSync(file, config);
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(file, past, past);
  return dir;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Start-up, and 100 converged user tasks, against bare Node.
const zeroDir = project('zero', 'plugins: {}\n');
const userDir = project(
  'user',
  `tasks:\n${Array.from({ length: 100 }, (_, i) => `  - id: t.n${i}\n    check: /bin/true\n    apply: /bin/true\n`).join('')}`,
);
// The same tasks with a check sh must read (a builtin test): no simple command to start without sh.
const shellDir = project(
  'shell',
  `tasks:\n${Array.from({ length: 100 }, (_, i) => `  - id: t.n${i}\n    check: '[ -x /bin/true ]'\n    apply: /bin/true\n`).join('')}`,
);
const floorScript = path.join(work, 'spawn-100.mjs');
writeFileSync(
  floorScript,
  `import { spawn } from 'node:child_process';
for (let i = 0; i < 100; i++) {
  await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', '/bin/true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', resolve);
  });
}
`,
);
const startup = interleave({
  node: () => time(NODE, ['-e', '0']),
  version: () => time(NODE, [CLI, '--version']),
  help: () => time(NODE, [CLI, '--help']),
  zero: () => time(NODE, [CLI, 'run', 'all'], { cwd: zeroDir }),
  floor100: () => time(NODE, [floorScript]),
  user100: () => time(NODE, [CLI, 'run', 'all'], { cwd: userDir }),
  shell100: () => time(NODE, [CLI, 'run', 'all'], { cwd: shellDir }),
  sh100: () => time('sh', ['-c', 'i=0; while [ $i -lt 100 ]; do sh -c /bin/true; i=$((i+1)); done']),
});
const zeroRatio = ratio(startup.zero, startup.node);
const helpRatio = ratio(startup.help, startup.node);
const userRatio = ratio(startup.user100, startup.floor100);
row('node -e 0', fmt(median(startup.node)));
row('asc --version', `${fmt(median(startup.version))}, ${x(ratio(startup.version, startup.node))} node`);
row(
  'zero-task `asc run all` (`plugins: {}`) vs `node -e 0`',
  `${fmt(median(startup.zero))}, ${x(zeroRatio)}`,
  '≤ 1.5×',
  zeroRatio <= 1.5,
);
row(
  '`asc --help` vs `node -e 0`',
  `${fmt(median(startup.help))}, ${x(helpRatio)}`,
  '≤ 1.3×',
  helpRatio <= 1.3,
);
row('floor: node spawning 100 × `sh -c /bin/true` one after another', fmt(median(startup.floor100)));
row(
  '100 converged `/bin/true` user tasks vs that floor',
  `${fmt(median(startup.user100))}, ${x(userRatio)}`,
  '≤ 1.3×',
  userRatio <= 1.3,
);
const shRatio = ratio(startup.user100, startup.sh100);
row('floor: a plain `sh` loop of 100 × `sh -c /bin/true`', fmt(median(startup.sh100)));
row('the 100 user tasks vs that `sh` loop', x(shRatio), '≤ 1.5×', shRatio <= 1.5);
row(
  '100 converged tasks whose check needs sh (`[ -x /bin/true ]`) vs that `sh` loop',
  `${fmt(median(startup.shell100))}, ${x(ratio(startup.shell100, startup.sh100))}`,
);

// 2. The same 100 tasks as an Ansible playbook.
const ansible = spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0;
if (ansible) {
  const playbook = path.join(work, 'playbook.yml');
  writeFileSync(
    playbook,
    `- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n${Array.from(
      { length: 100 },
      (_, i) => `    - name: t${i}\n      command: /bin/true\n      changed_when: false\n`,
    ).join('')}`,
  );
  const ansibleEnv = {
    ...baseEnv,
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  };
  const times = interleave(
    {
      ansible: () => time('ansible-playbook', ['-i', 'localhost,', playbook], { env: ansibleEnv }),
      user100: () => time(NODE, [CLI, 'run', 'all'], { cwd: userDir }),
    },
    3,
  );
  const vsAnsible = ratio(times.user100, times.ansible);
  row('ansible-playbook, 100 `command` tasks (local)', fmt(median(times.ansible)));
  row('the 100 user tasks vs ansible-playbook', x(vsAnsible), '≤ 0.05× (keep)', vsAnsible <= 0.05);
} else {
  row(
    'the 100 user tasks vs ansible-playbook',
    'not measured: no ansible-playbook (apt-get install ansible-core)',
    '≤ 0.05× (keep)',
  );
}

// 3. The runner alone: 2000 converged no-op tasks in chains of 20, from a bench-only plugin; RSS.
const noopPlugin = path.join(work, 'noop-plugin.mjs');
writeFileSync(
  noopPlugin,
  `const LENGTH = 20;
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
const noop0 = project('noop0', `plugins:\n  ${noopPlugin}: { count: 0 }\n`);
const noop2000 = project('noop2000', `plugins:\n  ${noopPlugin}: {}\n`);
const runner = interleave({
  zero: () => time(NODE, [CLI, 'run', 'all'], { cwd: noop0 }),
  tasks: () => time(NODE, [CLI, 'run', 'all'], { cwd: noop2000 }),
});
const perTask = median(runner.tasks.map((ms, i) => (ms - runner.zero[i]) / 2000));
row(
  'runner cost per converged no-op task (2000 tasks)',
  `${perTask.toFixed(3)} ms`,
  '< 0.5 ms',
  perTask < 0.5,
);
const rss = peakRss(['run', 'all'], noop2000);
row('peak RSS, 2000 tasks', `${rss.toFixed(0)} MiB`, '< 120 MiB', rss < 120);

/** Peak RSS of the asc process itself, read at exit by a preloaded probe. */
function peakRss(args, cwd) {
  const probe = path.join(work, 'rss-probe.mjs');
  const out = path.join(work, 'rss.txt');
  writeFileSync(
    probe,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  time(NODE, ['--import', probe, CLI, ...args], { cwd });
  return Number(readFileSync(out, 'utf8')) / 1024;
}

// 4. One host command through asc (execa) against a bare child_process.spawn with the same pipes, inside
// the same asc process: 100 tasks, one at a time, whose checks run /bin/true one way or the other.
const execPlugin = path.join(work, 'exec-plugin.mjs');
writeFileSync(
  execPlugin,
  `import { spawn } from 'node:child_process';
const bare = () => new Promise((resolve, reject) => {
  const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { out += d; });
  child.on('error', reject);
  child.on('close', () => resolve(out));
});
export default {
  name: 'calls',
  tasks: (options) => [
    // Both ways load execa first, so that the difference is the calls alone.
    { id: 'warm', check: async (t) => { await t.exec.query('/bin/true', []); return { converged: true }; }, apply: async () => {} },
    ...Array.from({ length: 100 }, (_, i) => ({
      id: 'c' + i,
      needs: ['calls.warm'],
      check: async (t) => {
        if (options.bare) await bare();
        else await t.exec.query('/bin/true', []);
        return { converged: true };
      },
      apply: async () => {},
    })),
  ],
};
`,
);
const viaExeca = project('execa', `plugins:\n  ${execPlugin}: {}\n`);
const viaSpawn = project('spawn', `plugins:\n  ${execPlugin}: { bare: true }\n`);
const calls = interleave({
  execa: () => time(NODE, [CLI, 'run', 'all', '--concurrency', '1'], { cwd: viaExeca }),
  spawn: () => time(NODE, [CLI, 'run', 'all', '--concurrency', '1'], { cwd: viaSpawn }),
});
const perCall = median(calls.spawn.map((ms) => ms / 100));
const gap = median(calls.execa.map((ms, i) => (ms - calls.spawn[i]) / 100));
row('one host command: bare spawn (`/bin/true`, pipes)', `${perCall.toFixed(2)} ms a call (with its task)`);
row('  asc’s exec beyond that', `${gap.toFixed(2)} ms a call`);

// 5. Converged runs on the simulated Mac, each fake tool call taking FAKE_SIM_DELAY_MS.
const DELAY = 100;
const CHAIN_DELAY = 1000;
await simulatedMac();

async function simulatedMac() {
  const { register } = await import('tsx/esm/api');
  register();
  const sim = await import('./bench-sim.ts');
  const why = sim.simUnavailable();
  if (why) {
    row('converged `asc run all` on the simulated Mac', `not measured: ${why}`);
    return;
  }
  for (const setUp of [sim.limaOnly, sim.everyPlugin]) {
    const mac = await setUp();
    try {
      measureMac(mac, await countCalls(mac));
    } finally {
      await mac.stop();
    }
  }
}

/** External commands of one converged run, by tool (from --verbose), and the fake limactl's own log. */
async function countCalls(mac) {
  await mac.clearCalls();
  const run = spawnSync(NODE, [CLI, 'run', 'all', '--verbose'], {
    cwd: mac.cwd,
    env: mac.env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`verbose run on the ${mac.name} Mac: ${run.stdout}${run.stderr}`);
  const byTool = {};
  for (const [, tool] of run.stdout.matchAll(/^ {2}\S+: \$ (\S+)/gm)) {
    const name = path.basename(tool);
    byTool[name] = (byTool[name] ?? 0) + 1;
  }
  const limactl = await mac.limactlCalls();
  const sub = (name) => limactl.filter((argv) => argv.find((arg) => !arg.startsWith('-')) === name).length;
  return { byTool, list: sub('list'), shell: sub('shell'), limactl: limactl.length };
}

function measureMac(mac, counts) {
  const env = { ...mac.env, FAKE_SIM_DELAY_MS: String(DELAY) };
  const zero = path.join(mac.cwd, 'zero');
  mkdirSync(zero, { recursive: true });
  writeFileSync(path.join(zero, '.ascrc.yaml'), 'plugins: {}\n');
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(path.join(zero, '.ascrc.yaml'), past, past);
  utimesSync(path.join(mac.cwd, '.ascrc.yaml'), past, past);
  const times = interleave({
    zero: () => time(NODE, [CLI, 'run', 'all'], { cwd: zero, env }),
    run: () => time(NODE, [CLI, 'run', 'all'], { cwd: mac.cwd, env }),
    // The same run with the fakes' delay off, and with a long one: what the run costs beside its calls'
    // latency, and how many calls' latencies it waits for one after another.
    undelayed: () => time(NODE, [CLI, 'run', 'all'], { cwd: mac.cwd, env: mac.env }),
    slow: () =>
      time(NODE, [CLI, 'run', 'all'], {
        cwd: mac.cwd,
        env: { ...mac.env, FAKE_SIM_DELAY_MS: String(CHAIN_DELAY) },
      }),
    call: () => time('limactl', ['list', '--json'], { cwd: mac.cwd, env }),
  });
  const oneCall = median(times.call);
  const beyond = median(times.run.map((ms, i) => (ms - times.zero[i]) / oneCall));
  // Each call on the longest chain adds CHAIN_DELAY to the run: the slow run less the undelayed one, in
  // CHAIN_DELAYs, counts that chain, without asc's own work (loading the plugins, the real ssh to sshd),
  // whose noise a delay of a second dwarfs.
  const chain = median(times.slow.map((ms, i) => (ms - times.undelayed[i]) / CHAIN_DELAY));
  const tools = Object.entries(counts.byTool)
    .sort((a, b) => b[1] - a[1])
    .map(([tool, n]) => `${tool} ${n}`)
    .join(', ');
  row(
    `converged \`asc run all\`, ${mac.name}, each fake call +${DELAY} ms`,
    `${fmt(median(times.run))} (zero-task run ${fmt(median(times.zero))}, one fake call ${fmt(oneCall)})`,
  );
  row('  external commands by tool', tools);
  row(
    '  `limactl list` / guest round trips (`limactl shell`)',
    `${counts.list} / ${counts.shell}`,
    mac.name === 'lima only' ? '' : '≤ 1 / ≤ 2',
    mac.name === 'lima only' ? undefined : counts.list <= 1 && counts.shell <= 2,
  );
  row(
    '  wall time beyond a zero-task run, in fake calls (asc\u2019s own work included)',
    `${beyond.toFixed(2)} calls`,
  );
  row(
    `  the longest chain of calls that wait on each other: (run at +${CHAIN_DELAY} ms − run at +0) / ${CHAIN_DELAY} ms`,
    `${chain.toFixed(2)} calls (undelayed run ${fmt(median(times.undelayed))})`,
    '≤ 2 calls (1 is the limit)',
    chain <= 2,
  );
}

// 6. The compile cache: asc's start-up with it empty (every run) and filled.
{
  // asc keeps the cache in the temporary folder (src/cli.ts): this one's, emptied for each cold run.
  const cacheHome = path.join(work, 'tmp');
  const cold = () => {
    rmSync(cacheHome, { recursive: true, force: true });
    mkdirSync(cacheHome);
  };
  cold();
  const env = { ...baseEnv, TMPDIR: cacheHome };
  const times = interleave({
    node: () => time(NODE, ['-e', '0'], { env }),
    zeroCold: () => {
      cold();
      return time(NODE, [CLI, 'run', 'all'], { cwd: zeroDir, env });
    },
    zeroWarm: () => time(NODE, [CLI, 'run', 'all'], { cwd: zeroDir, env }),
    helpCold: () => {
      cold();
      return time(NODE, [CLI, '--help'], { env });
    },
    helpWarm: () => time(NODE, [CLI, '--help'], { env }),
  });
  row(
    'zero-task run, compile cache empty → filled',
    `${fmt(median(times.zeroCold))} (${x(ratio(times.zeroCold, times.node))}) → ${fmt(median(times.zeroWarm))} (${x(ratio(times.zeroWarm, times.node))})`,
  );
  row(
    'asc --help, compile cache empty → filled',
    `${fmt(median(times.helpCold))} (${x(ratio(times.helpCold, times.node))}) → ${fmt(median(times.helpWarm))} (${x(ratio(times.helpWarm, times.node))})`,
  );
}

// 7. Instructions, not time: valgrind's callgrind counts the same whatever else the machine does, so these
// ratios hold on a loaded machine where the wall times above move from run to run.
const valgrind = process.env.BENCH_INSTRUCTIONS !== '0' && spawnSync('valgrind', ['--version']).status === 0;
if (valgrind) {
  const instructions = (file, args, options = {}) => {
    const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', file, ...args], {
      cwd: options.cwd ?? work,
      env: options.env ?? baseEnv,
      encoding: 'utf8',
    });
    const collected = /Collected : (\d+)/.exec(run.stderr)?.[1];
    if (!collected) throw new Error(`callgrind: ${run.stderr.slice(-2000)}`);
    return Number(collected);
  };
  const millions = (n) => `${(n / 1e6).toFixed(0)} M`;
  const node = instructions(NODE, ['-e', '0']);
  // What any ESM command pays before its own code: Node's ESM loader, one static and one dynamic import.
  const emptyModule = path.join(work, 'empty.mjs');
  writeFileSync(emptyModule, "import 'node:path';\nawait import('node:os');\n");
  const esm = instructions(NODE, [emptyModule]);
  // asc's compile cache filled under valgrind: V8's cache is keyed by the CPU features it sees, and
  // valgrind's differ from the machine's.
  const env = { ...baseEnv, TMPDIR: path.join(work, 'tmp-callgrind') };
  mkdirSync(env.TMPDIR, { recursive: true });
  const asc = (args, cwd = work, extra = {}) =>
    instructions(NODE, [CLI, ...args], { cwd, env: { ...env, ...extra } });
  asc(['run', 'all'], zeroDir);
  asc(['--help']);
  asc(['run', 'all'], userDir);
  const zero = asc(['run', 'all'], zeroDir);
  const help = asc(['--help']);
  const without = asc(['run', 'all'], zeroDir, { NODE_DISABLE_COMPILE_CACHE: '1' });
  // The process that spawns, not its children (callgrind follows no child): what each task costs asc.
  const user100 = asc(['run', 'all'], userDir);
  const floor100 = instructions(NODE, [floorScript], { env });
  row('instructions (callgrind): node -e 0', millions(node));
  row('  an ES module that imports node:path and node:os', `${millions(esm)}, ${x(esm / node)}`);
  row(
    '  zero-task `asc run all` vs node -e 0',
    `${millions(zero)}, ${x(zero / node)}`,
    '(wall target ≤ 1.5×)',
  );
  row('  `asc --help` vs node -e 0', `${millions(help)}, ${x(help / node)}`, '(wall target ≤ 1.3×)');
  row(
    '  zero-task run, no compile cache → cache filled',
    `${millions(without)} (${x(without / node)}) → ${millions(zero)}, ${((zero / without - 1) * 100).toFixed(0)}%`,
  );
  row(
    '  100 user tasks vs node spawning the same 100 (the parent process)',
    `${millions(user100)} vs ${millions(floor100)}, ${x(user100 / floor100)}; ${((user100 - zero) / 100 / 1e6).toFixed(2)} M a task beyond a zero-task run`,
  );
} else {
  note('instructions: not measured (no valgrind: apt-get install valgrind; or BENCH_INSTRUCTIONS=0)');
}

rmSync(work, { recursive: true, force: true });
const loadAfter = loadavg();
const width = Math.max(...rows.filter((r) => !r.note).map((r) => r.measure.length));
const figureWidth = Math.min(70, Math.max(...rows.filter((r) => !r.note).map((r) => r.figure.length)));
console.log(
  `asc bench — node ${process.version}, ${cpus().length} cores, medians of ${RUNS} interleaved rounds; load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after\n`,
);
for (const r of rows) {
  if (r.note) {
    console.log(r.note);
    continue;
  }
  const verdict = r.met === undefined ? '' : r.met ? '  met' : '  NOT MET';
  const target = r.target ? `  target ${r.target}` : '';
  console.log(`${r.measure.padEnd(width)}  ${r.figure.padEnd(figureWidth)}${target}${verdict}`.trimEnd());
}
