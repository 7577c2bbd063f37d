import { existsSync } from 'node:fs';
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
  plugin: string;
  status: string;
  reason: string | null;
}
interface JsonReport {
  exitCode: number;
  summary: { ok: number; changed: number; failed: number; skipped: number; wouldChange: number };
  tasks: JsonRow[];
}

const project = () => path.join(sandbox.home, 'project');

async function writeConfig(body: string): Promise<void> {
  await sandbox.write('project/.ascrc.yaml', body);
}

const twoFileTasks = (greeting: string) => `
tasks:
  - id: files.greeting
    title: The greeting file holds the greeting
    phase: phase4
    check: test "$(cat greeting.txt 2>/dev/null)" = "${greeting}"
    apply: printf '%s\\n' "${greeting}" > greeting.txt
  - id: files.copy
    phase: phase4
    needs: [files.greeting]
    check: cmp -s greeting.txt copy.txt
    apply: cp greeting.txt copy.txt
  - id: notes.readme
    phase: phase5
    check: test -f README.txt
    apply: echo notes > README.txt
`;

describe('user tasks from the config', () => {
  it('run changes, a second run is all ok, plan is clean, one changed input shows exactly that task', async () => {
    await writeConfig(twoFileTasks('hello'));
    const cwd = project();

    const first = await sandbox.asc(['run', 'all'], { cwd });
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/✔ The greeting file holds the greeting \(files\.greeting\): changed/);
    expect(first.stdout).toMatch(/✔ files\.copy: changed/);
    expect(first.stdout).toMatch(/run: 0 ok, 3 changed, 0 failed, 0 skipped/);
    expect(await sandbox.read('project/copy.txt')).toBe('hello\n');

    const second = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(second.exitCode).toBe(0);
    const report = JSON.parse(second.stdout) as JsonReport;
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ['files.greeting', 'ok'],
      ['files.copy', 'ok'],
      ['notes.readme', 'ok'],
    ]);

    const plan = await sandbox.asc(['plan', 'all'], { cwd });
    expect(plan.exitCode).toBe(0);

    // Change one input: only the task whose check reads it drifts; its dependent waits on it.
    await writeConfig(twoFileTasks('bonjour'));
    const before = await sandbox.snapshot();
    const drifted = await sandbox.asc(['plan', 'all', '--json'], { cwd });
    expect(drifted.exitCode).toBe(3);
    const rows = (JSON.parse(drifted.stdout) as JsonReport).tasks;
    expect(rows.filter((t) => t.status === 'would-change').map((t) => t.id)).toEqual(['files.greeting']);
    expect(rows.find((t) => t.id === 'files.copy')).toMatchObject({
      status: 'skipped',
      reason: 'would run after files.greeting',
    });
    expect(rows.find((t) => t.id === 'notes.readme')?.status).toBe('ok');
    expect(await sandbox.snapshot()).toEqual(before);

    const human = await sandbox.asc(['plan', 'all'], { cwd });
    expect(human.exitCode).toBe(3);
    expect(human.stdout).toMatch(/~ The greeting file holds the greeting \(files\.greeting\): would change/);
    expect(await sandbox.snapshot()).toEqual(before);

    const status = await sandbox.asc(['status', 'phase4'], { cwd });
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(/^~ files\.greeting: check exited 1/m);
  });

  it('plan names the drifted task a whole chain waits for', async () => {
    await writeConfig(`
tasks:
  - id: chain.root
    check: test -f root
    apply: touch root
  - id: chain.middle
    needs: [chain.root]
    check: "true"
    apply: "true"
  - id: chain.leaf
    needs: [chain.middle]
    check: "true"
    apply: "true"
`);
    const plan = await sandbox.asc(['plan', 'all', '--json'], { cwd: project() });
    expect(plan.exitCode).toBe(3);
    const rows = (JSON.parse(plan.stdout) as JsonReport).tasks;
    expect(rows.map((t) => [t.id, t.status, t.reason])).toEqual([
      ['chain.root', 'would-change', 'check exited 1'],
      ['chain.middle', 'skipped', 'would run after chain.root'],
      ['chain.leaf', 'skipped', 'would run after chain.root'],
    ]);
  });

  it('a check of one simple command starts its program without sh, where sh would have run it', async () => {
    await sandbox.write(
      'project/bin/probe',
      '#!/bin/sh\nprintf "%s\\n" "$PWD" "$@" > probe.txt\n[ "$1" = ok ]\n',
      0o755,
    );
    await writeConfig(`
tasks:
  - id: probe.simple
    check: bin/probe ok two,3 a=b
    apply: "true"
  - id: probe.missing
    check: asc-no-such-program --flag
    apply: "true"
  - id: probe.shell
    check: bin/probe $HOME
    apply: "true"
`);
    const verbose = await sandbox.asc(['plan', 'all', '-v'], { cwd: project() });
    expect(verbose.exitCode, verbose.stderr).toBe(3);
    // Started directly: the verbose log names the program, not `sh -c`.
    expect(verbose.stdout).toContain('$ bin/probe ok two,3 a=b');
    expect(verbose.stdout).not.toContain("sh -c 'bin/probe ok");
    // A line sh must read (a `$`) still goes to sh.
    expect(verbose.stdout).toContain("$ sh -c 'bin/probe $HOME'");
    const plan = await sandbox.asc(['plan', 'all', '--json'], { cwd: project() });
    const rows = (JSON.parse(plan.stdout) as JsonReport).tasks;
    const reason = (id: string) => rows.find((row) => row.id === id)?.reason;
    expect(reason('probe.simple')).toBe(null);
    // Not found: sh's own words, from `sh -c`, as for any other line.
    expect(reason('probe.missing')).toMatch(/^check exited 127: .*asc-no-such-program: .*not found$/);
    expect(reason('probe.shell')).toBe('check exited 1');
    // In the config's folder, with PWD saying so (asc runs from a folder below it), and its arguments as
    // sh would split them.
    await sandbox.asc(['plan', 'probe.simple'], { cwd: path.join(project(), 'bin') });
    expect(await sandbox.read('project/probe.txt')).toBe(`${project()}\nok\ntwo,3\na=b\n`);
  });

  it('selects by phase, group, id and glob, pulling in needs', async () => {
    await writeConfig(twoFileTasks('hi'));
    const ids = async (...targets: string[]) => {
      const result = await sandbox.asc(['plan', ...targets, '--json'], { cwd: project() });
      return (JSON.parse(result.stdout) as JsonReport).tasks.map((t) => t.id);
    };
    expect(await ids('phase5')).toEqual(['notes.readme']);
    expect(await ids('files')).toEqual(['files.greeting', 'files.copy']);
    expect(await ids('files.copy')).toEqual(['files.greeting', 'files.copy']);
    expect(await ids('*.readme')).toEqual(['notes.readme']);
    expect(await ids('notes', 'files.greeting')).toEqual(['files.greeting', 'notes.readme']);
  });

  it('runs independent tasks at the same time and a chain in order', async () => {
    // A rendezvous through two FIFOs: each task opens one for writing, which blocks until the other
    // task opens it for reading. Run one after the other, they would wait until their timeout.
    const cwd = project();
    await mkfifo(path.join(cwd, 'left.fifo'));
    await mkfifo(path.join(cwd, 'right.fifo'));
    const config = (timeout: string) => `
tasks:
  - id: meet.left
    timeout: ${timeout}
    check: test -f left.done
    apply: echo hi > right.fifo && read line < left.fifo && touch left.done
  - id: meet.right
    timeout: ${timeout}
    check: test -f right.done
    apply: read line < right.fifo && echo hi > left.fifo && touch right.done
  - id: chain.one
    check: test -f one.done
    apply: echo one >> order.log && touch one.done
  - id: chain.two
    needs: [chain.one]
    check: test -f two.done
    apply: test -f one.done && echo two >> order.log && touch two.done
  - id: chain.three
    needs: [chain.two]
    check: test -f three.done
    apply: test -f two.done && echo three >> order.log && touch three.done
`;
    await writeConfig(config('30s'));
    const result = await sandbox.asc(['run', 'all'], { cwd });
    expect(result.stdout).toMatch(/5 changed, 0 failed/);
    expect(result.exitCode).toBe(0);
    expect(await sandbox.read('project/order.log')).toBe('one\ntwo\nthree\n');

    // With --concurrency 1 the rendezvous cannot happen (a short timeout ends the wait): proof that the
    // same tasks did run at the same time above.
    await sandbox.exec('rm', ['-f', 'left.done', 'right.done'], { cwd });
    await writeConfig(config('1s'));
    const serial = await sandbox.asc(['run', 'meet', '--concurrency', '1', '--json'], { cwd });
    expect(serial.exitCode).toBe(1);
    const rows = (JSON.parse(serial.stdout) as JsonReport).tasks;
    expect(rows.find((t) => t.id === 'meet.left')?.reason).toMatch(/timed out after 1s/);
  });

  it('a failed task fails the run, skips its dependents, and the rest still converges', async () => {
    await writeConfig(`
tasks:
  - id: web.fetch
    check: test -f page.html
    apply: echo "no network here" >&2; exit 7
  - id: web.render
    needs: [web.fetch]
    check: test -f page.pdf
    apply: touch page.pdf
  - id: web.publish
    needs: ["web.render"]
    check: "false"
    apply: "true"
  - id: local.notes
    check: test -f notes.txt
    apply: echo ok > notes.txt
`);
    const cwd = project();
    const result = await sandbox.asc(['run', 'all'], { cwd });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/✖ web\.fetch: failed: Command failed with exit code 7: sh -c/);
    expect(result.stdout).toMatch(/no network here/);
    expect(result.stdout).toMatch(/↓ web\.render: skipped: need web\.fetch failed/);
    expect(result.stdout).toMatch(/↓ web\.publish: skipped: need web\.render was skipped/);
    expect(result.stdout).toMatch(/run: 0 ok, 1 changed, 1 failed, 2 skipped/);
    expect(existsSync(path.join(cwd, 'notes.txt'))).toBe(true);
    expect(existsSync(path.join(cwd, 'page.pdf'))).toBe(false);

    await sandbox.exec('rm', ['notes.txt'], { cwd });
    const json = await sandbox.asc(['run', 'all', '--json'], { cwd });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.exitCode).toBe(1);
    expect(report.summary).toMatchObject({ ok: 0, changed: 1, failed: 1, skipped: 2 });
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ['web.fetch', 'failed'],
      ['web.render', 'skipped'],
      ['web.publish', 'skipped'],
      ['local.notes', 'changed'],
    ]);
    expect(report.tasks[0]?.reason).toMatch(/exit code 7/);
    expect(report.tasks[1]?.reason).toBe('need web.fetch failed');
  });

  it('an apply that does not fix its check fails with "apply did not converge"', async () => {
    await writeConfig(`
tasks:
  - id: stubborn.file
    check: test -f wanted.txt
    apply: touch other.txt
`);
    const result = await sandbox.asc(['run', 'all'], { cwd: project() });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/✖ stubborn\.file: failed: apply did not converge: check exited 1/);
  });

  it('without any config file it says so in one line, and without Lima it says how to install it', async () => {
    const result = await sandbox.asc(['run', 'all'], { cwd: sandbox.home });
    expect(result.stderr.trim().split('\n')).toEqual([
      'asc: no config file found; using the built-in defaults (lima). `asc init` writes them to .ascrc.yaml',
    ]);
    expect(result.stdout).toMatch(
      /✖ .*\(lima\.installed\): failed: asc manages a Mac's Lima VM, and this machine runs Linux: limactl not found: install it with `brew install lima`/,
    );
    expect(result.stdout).toMatch(/↓ .*\(lima\.instance\): skipped: need lima\.installed failed/);
    expect(result.stdout).not.toMatch(/at .*\.js:\d+/);
    expect(result.exitCode).toBe(1);
  });
});
