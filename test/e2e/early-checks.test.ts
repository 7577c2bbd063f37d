// Checks ahead of their needs, through the built CLI: a check only reads, so the runner starts every
// selected check at once and keeps an early result only when every need came back ok.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { mkfifo } from './fifo.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

interface JsonRow {
  id: string;
  status: string;
  reason: string | null;
}

const project = () => path.join(sandbox.home, 'project');
const rows = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout) as { tasks: JsonRow[] }).tasks.map((row) => [row.id, [row.status, row.reason]]),
  );

describe('checks ahead of their needs', () => {
  it('a chain of 5 whose checks meet at one FIFO each converges only because the checks ran together', async () => {
    // A ring: the check of chain.tN writes fN and reads the FIFO before it. Opening a FIFO blocks until
    // its other end is opened too, so no check can finish unless all five are running.
    const cwd = project();
    for (let i = 1; i <= 5; i++) await mkfifo(path.join(cwd, `f${i}`));
    const config = (timeout: string) =>
      `tasks:\n${[1, 2, 3, 4, 5]
        .map((i) => {
          const check = i === 1 ? 'echo 1 > f1 && read x < f5' : `read x < f${i - 1} && echo ${i} > f${i}`;
          const needs = i === 1 ? '' : `\n    needs: [chain.t${i - 1}]`;
          return `  - id: chain.t${i}${needs}\n    timeout: ${timeout}\n    check: ${check}\n    apply: "false"\n`;
        })
        .join('')}`;
    await sandbox.write('project/.ascrc.yaml', config('30s'));
    const together = await sandbox.asc(['status', 'chain', '--json'], { cwd });
    expect(together.exitCode).toBe(0);
    expect(Object.values(rows(together.stdout)).map(([status]) => status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);

    // One at a time the ring cannot close: the first check waits until its (short) timeout ends it.
    await sandbox.write('project/.ascrc.yaml', config('1s'));
    const serial = await sandbox.asc(['status', 'chain', '--concurrency', '1', '--json'], { cwd });
    expect(serial.exitCode).toBe(1);
    const serialRows = rows(serial.stdout);
    expect(serialRows['chain.t1']?.[1]).toMatch(/timed out after 1s/);
    expect(serialRows['chain.t5']).toEqual(['skipped', 'need chain.t4 was skipped']);
  });

  it('a drifted root discards its dependent’s early result: run checks it again after the apply; plan lists its drift "after" the root', async () => {
    // The root answers only after the child's early check has started (a FIFO between them), so the
    // child's first check surely saw the world before the root's apply.
    const cwd = project();
    await mkfifo(path.join(cwd, 'meet.fifo'));
    await sandbox.write(
      'project/.ascrc.yaml',
      `tasks:
  - id: app.root
    check: "{ [ -f met ] || { read x < meet.fifo && touch met; }; } && test -f root.done"
    apply: touch root.done
  - id: app.child
    needs: [app.root]
    check: "{ [ -f early ] || { touch early && echo hi > meet.fifo; }; } && echo check >> child.log && test -f root.done"
    apply: echo applied >> child.log
`,
    );
    const plan = await sandbox.asc(['plan', 'all', '--json'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(rows(plan.stdout)).toEqual({
      'app.root': ['would-change', 'check exited 1'],
      'app.child': ['would-change', 'after app.root: check exited 1'],
    });
    expect(await sandbox.read('project/child.log')).toBe('check\n');

    await sandbox.exec('rm', ['-f', 'met', 'early', 'child.log'], { cwd });
    const run = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(rows(run.stdout)).toEqual({
      'app.root': ['changed', 'check exited 1'],
      'app.child': ['ok', null],
    });
    // Its early check drifted (no root.done yet); that result was dropped, and the check after the
    // root's apply found it converged: the child's apply never ran.
    expect(await sandbox.read('project/child.log')).toBe('check\ncheck\n');
  });

  it('12 checks running at once print no MaxListenersExceededWarning', async () => {
    // A ring of 12 FIFOs: no check can finish unless all 12 run together, each command listening for Ctrl-C.
    const cwd = project();
    const n = 12;
    for (let i = 1; i <= n; i++) await mkfifo(path.join(cwd, `r${i}`));
    const tasks = Array.from({ length: n }, (_, k) => {
      const i = k + 1;
      const check = i === 1 ? `echo 1 > r1 && read x < r${n}` : `read x < r${i - 1} && echo ${i} > r${i}`;
      return `  - id: ring.t${i}\n    timeout: 30s\n    check: ${check}\n    apply: "false"\n`;
    });
    await sandbox.write('project/.ascrc.yaml', `tasks:\n${tasks.join('')}`);
    const result = await sandbox.asc(['status', 'ring'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
  });
});
