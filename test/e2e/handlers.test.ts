// Notified handlers are never lost: a failed or interrupted deploy stays pending in asc's state folder
// until a run gets it through, even when every task of that run is already ok.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
let cwd: string;
beforeEach(async () => {
  sandbox = await createSandbox();
  cwd = path.join(sandbox.home, 'project');
  await sandbox.write('project/plugins/lua.mjs', plugin);
  await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/lua.mjs: {}\n');
});
afterEach(async () => {
  await sandbox.cleanup();
});

/**
 * A task that writes config.lua and notifies `lua.deploy`. The deploy appends a line to deploys.log, and
 * fails while `deploy-broken` exists. With `hang` present, apply writes the file and then waits (for a
 * signal), so a test can interrupt or kill asc right after the write.
 */
const plugin = `
import { setTimeout as wait } from 'node:timers/promises';
import { existsSync } from 'node:fs';
export default {
  name: 'lua',
  tasks: (_options, ctx) => [{
    id: 'config',
    phase: 'phase1',
    notify: ['lua.deploy'],
    async check(t) {
      const text = await t.files.read(ctx.config.dir + '/config.lua');
      return text === 'x = 1\\n' ? { converged: true } : { converged: false, reason: 'config.lua differs' };
    },
    async apply(t) {
      await t.files.write(ctx.config.dir + '/config.lua', 'x = 1\\n');
      if (existsSync(ctx.config.dir + '/hang')) {
        t.log.info('written, now hanging');
        await wait(3_600_000, undefined, { signal: t.signal });
      }
    },
  }],
  handlers: (_options, ctx) => [{
    id: 'deploy',
    async run(t) {
      await t.exec.run('sh', ['-c', 'echo deployed >> deploys.log; test ! -e deploy-broken'], { cwd: ctx.config.dir });
    },
  }],
};
`;

const rows = (stdout: string) =>
  (JSON.parse(stdout) as { tasks: { id: string; status: string; reason: string | null }[] }).tasks.map(
    (r) => [r.id, r.status, r.reason] as const,
  );
const deploys = async () =>
  (await readFile(path.join(cwd, 'deploys.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

describe('pending handlers', () => {
  it('a failed deploy stays pending: status says so, and the next run deploys though every task is ok', async () => {
    await sandbox.write('project/deploy-broken', '');
    const first = await sandbox.asc(['run', '--json'], { cwd });
    expect(first.exitCode).toBe(1);
    const [task, handler] = rows(first.stdout);
    expect(task).toEqual(['lua.config', 'changed', 'config.lua differs']);
    expect(handler?.[1]).toBe('failed');
    expect(handler?.[2]).toMatch(/exit code 1[\s\S]*it stays pending: the next run runs it again/);
    expect(await deploys()).toBe(1);

    const status = await sandbox.asc(['status'], { cwd });
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(
      /~ lua\.deploy: handler lua\.deploy is pending since \d{4}-\d\d-\d\dT[\d:.]+Z \(notified by lua\.config\)/,
    );
    const plan = await sandbox.asc(['plan', '--json'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(rows(plan.stdout).map((r) => r.slice(0, 2))).toEqual([
      ['lua.config', 'ok'],
      ['lua.deploy', 'would-change'],
    ]);
    expect(await deploys()).toBe(1);

    await sandbox.exec('rm', ['deploy-broken'], { cwd });
    const second = await sandbox.asc(['run', '--json'], { cwd });
    expect(second.exitCode).toBe(0);
    const [again, deployed] = rows(second.stdout);
    expect(again?.[1]).toBe('ok');
    expect(deployed?.[1]).toBe('changed');
    expect(deployed?.[2]).toMatch(/^pending since .* \(notified by lua\.config\)$/);
    expect(await deploys()).toBe(2);

    const third = await sandbox.asc(['run', '--json'], { cwd });
    expect(rows(third.stdout).map((r) => r.slice(0, 2))).toEqual([
      ['lua.config', 'ok'],
      ['lua.deploy', 'skipped'],
    ]);
    expect(await deploys()).toBe(2);
    expect((await sandbox.asc(['status'], { cwd })).exitCode).toBe(0);
  });

  it('asc uninstall forgets a pending handler (after showing it), and a second uninstall has nothing to do', async () => {
    await sandbox.write('project/deploy-broken', '');
    expect((await sandbox.asc(['run'], { cwd })).exitCode).toBe(1);
    const plan = await sandbox.asc(['uninstall', '--plan'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain('~ core.pending-handlers: pending: lua.deploy');
    const undo = await sandbox.asc(['uninstall', '--yes'], { cwd });
    expect(undo.exitCode).toBe(0);
    expect((await sandbox.asc(['status'], { cwd })).exitCode).toBe(0);
    const again = await sandbox.asc(['uninstall', '--yes'], { cwd });
    expect(again.stdout).toContain('nothing to undo');
    expect(await deploys()).toBe(1);
  });

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'a run stopped by %s right after the file was written leaves the deploy pending for the next run',
    async (signal) => {
      await sandbox.write('project/hang', '');
      const running = sandbox.start(['run'], { cwd });
      await running.waitFor(/written, now hanging/);
      running.signal(signal);
      const stopped = await running.result;
      expect(stopped.exitCode).toBe(signal === 'SIGINT' ? 130 : 128);
      expect(existsSync(path.join(cwd, 'config.lua'))).toBe(true);
      expect(await deploys()).toBe(0);

      await sandbox.exec('rm', ['hang'], { cwd });
      const status = await sandbox.asc(['status'], { cwd });
      expect(status.exitCode).toBe(3);
      expect(status.stdout).toContain('handler lua.deploy is pending since');
      const next = await sandbox.asc(['run', '--json'], { cwd });
      expect(next.exitCode).toBe(0);
      expect(rows(next.stdout).map((r) => r.slice(0, 2))).toEqual([
        ['lua.config', 'ok'],
        ['lua.deploy', 'changed'],
      ]);
      expect(await deploys()).toBe(1);
    },
  );
});
