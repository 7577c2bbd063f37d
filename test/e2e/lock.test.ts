import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { mkfifo } from './fifo.ts';

let sandbox: Sandbox;
let cwd: string;
beforeEach(async () => {
  sandbox = await createSandbox();
  cwd = path.join(sandbox.home, 'project');
  await mkfifo(path.join(cwd, 'started.fifo'));
  await mkfifo(path.join(cwd, 'gate.fifo'));
  // slow.task tells the test it started, then waits at the gate until the test opens it.
  await sandbox.write(
    'project/.ascrc.yaml',
    `tasks:
  - id: slow.task
    check: test -f slow.done
    apply: echo started > started.fifo && read line < gate.fifo && echo "$line" > slow.done
  - id: slow.after
    needs: [slow.task]
    check: test -f after.done
    apply: touch after.done
  - id: fast.task
    check: test -f fast.done
    apply: echo fast > fast.done
`,
  );
});
afterEach(async () => {
  await sandbox.cleanup();
});

const lockFile = () => path.join(sandbox.home, '.local/state/asc/run.lock');
const started = () => readFile(path.join(cwd, 'started.fifo'), 'utf8');
const openGate = () => writeFile(path.join(cwd, 'gate.fifo'), 'go\n');

describe('the run lock', () => {
  it('a second run waits, or after its wait exits 2 naming the holder; files stay whole', async () => {
    const first = sandbox.start(['run', 'all'], { cwd });
    await started();
    const holder = JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number };
    expect(holder.pid).toBe(first.pid);

    const impatient = await sandbox.asc(['run', 'all'], { cwd, env: { ASC_LOCK_WAIT_MS: '200' } });
    expect(impatient.exitCode).toBe(2);
    expect(impatient.stderr).toMatch(
      new RegExp(
        `another asc run is in progress: pid ${first.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );

    const patient = sandbox.start(['run', 'all'], { cwd, env: { ASC_LOCK_WAIT_MS: '60000' } });
    await patient.waitFor(/waiting for another asc run to finish \(pid \d+/);
    await openGate();
    const firstResult = await first.result;
    expect(firstResult.exitCode).toBe(0);
    expect(firstResult.stdout).toMatch(/run: 0 ok, 3 changed/);
    const patientResult = await patient.result;
    expect(patientResult.exitCode).toBe(0);
    expect(patientResult.stdout).toMatch(/run: 3 ok, 0 changed/);
    expect(await sandbox.read('project/slow.done')).toBe('go\n');
    expect(await sandbox.read('project/fast.done')).toBe('fast\n');
    expect(existsSync(lockFile())).toBe(false);
  });

  it('takes over a stale lock left by a process that is gone', async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('close', resolve));
    await sandbox.write(
      lockFile(),
      JSON.stringify({
        pid: dead.pid,
        host: hostname(),
        since: '2026-01-01T00:00:00.000Z',
        command: 'asc run all',
      }),
    );
    const result = await sandbox.asc(['run', 'fast'], { cwd, env: { ASC_LOCK_WAIT_MS: '0' } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(existsSync(lockFile())).toBe(false);
  });

  it('Ctrl-C stops new tasks, cancels running commands, releases the lock and prints the recap', async () => {
    const run = sandbox.start(['run', 'all', '--concurrency', '1'], { cwd });
    await started();
    run.signal('SIGINT');
    const result = await run.result;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/interrupted: no new task starts/);
    expect(result.stdout).toMatch(/✖ slow\.task: failed: Command cancelled: sh -c/);
    expect(result.stdout).toMatch(/↓ slow\.after: skipped: need slow\.task failed/);
    expect(result.stdout).toMatch(/↓ fast\.task: skipped: interrupted before it started/);
    expect(result.stdout).toMatch(/run: 0 ok, 0 changed, 1 failed, 2 skipped in .*\(interrupted\)/);
    expect(existsSync(lockFile())).toBe(false);
    expect(existsSync(path.join(cwd, 'slow.done'))).toBe(false);
  });
});
