// Process bookkeeping shared by the fake limactl (stop) and the test helper (stopAll).
// sshd's per-connection children call setsid(), so killing by process group is not enough: we walk the
// parent links in /proc (or `ps` where there is no /proc) and kill whole trees, children first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

/** Alive and not a zombie (a killed child of a non-reaping PID 1 stays a zombie). */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !existsSync('/proc/self');
  }
}

/** store.ReadPIDFile: 0 when absent or dead, and a dead process's file is removed. */
export function readPidFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid)) throw new Error(`strconv.Atoi: parsing "${text.trim()}": invalid syntax`);
  if (isAlive(pid)) return pid;
  rmSync(file, { force: true });
  return 0;
}

/** Every process: pid, ppid, argv joined by spaces, and (where readable) its initial environment. */
export function listProcesses() {
  if (existsSync('/proc/self/stat')) {
    const procs = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        let environ = '';
        try {
          environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
        } catch {}
        procs.push({
          pid: Number(entry),
          ppid: Number(fields[1]),
          zombie: fields[0] === 'Z',
          cmdline: readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' '),
          environ,
        });
      } catch {
        // the process exited while we looked
      }
    }
    return procs;
  }
  const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,command='], { encoding: 'utf8' });
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      zombie: m[3].startsWith('Z'),
      cmdline: m[4],
      environ: '',
    }));
}

/** This process and its ancestors: never to be killed. */
function protectedPids(procs) {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const keep = new Set([process.pid, 1]);
  for (let p = byPid.get(process.pid); p && !keep.has(p.ppid); p = byPid.get(p.ppid)) keep.add(p.ppid);
  keep.add(process.ppid);
  return keep;
}

/** The given roots plus every descendant (computed before anything is killed, while parent links hold). */
export function withDescendants(roots, procs = listProcesses()) {
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const all = new Set();
  const visit = (pid) => {
    if (all.has(pid)) return;
    all.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  return all;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM the trees rooted at `roots` and at every process matching `match` (a predicate on
 * listProcesses() entries), wait up to `graceMs`, then SIGKILL what is left. Never throws.
 */
export async function killTrees({ roots = [], match, graceMs = 3000 } = {}) {
  let procs;
  try {
    procs = listProcesses();
  } catch {
    procs = [];
  }
  const keep = protectedPids(procs);
  const starts = [...roots, ...(match ? procs.filter((p) => !p.zombie && match(p)).map((p) => p.pid) : [])];
  const victims = [
    ...withDescendants(
      starts.filter((pid) => !keep.has(pid)),
      procs,
    ),
  ].filter((pid) => !keep.has(pid));
  const signal = (sig) => {
    for (const pid of victims) {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (victims.some(isAlive) && Date.now() < deadline) await sleep(25);
  if (victims.some(isAlive)) {
    signal('SIGKILL');
    const hardDeadline = Date.now() + 2000;
    while (victims.some(isAlive) && Date.now() < hardDeadline) await sleep(25);
  }
  return victims;
}
