import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { drift, ok } from './core/define.ts';
import type { AscTask } from './core/types.ts';
import { createTestContext, expectIdempotent } from './testing.ts';

const greeting: AscTask = {
  id: 'greeting',
  async check(t) {
    const file = path.join(t.host.home, 'hello.txt');
    const text = await t.files.read(file);
    return text === 'hello\n'
      ? ok()
      : drift('~/hello.txt does not say hello', await t.files.diff(file, 'hello\n'));
  },
  async apply(t) {
    await t.files.write(path.join(t.host.home, 'hello.txt'), 'hello\n');
  },
};

describe('the plugin test kit', () => {
  it('expectIdempotent passes a task that converges and stays converged', async () => {
    const t = await createTestContext();
    expect(await expectIdempotent(greeting, t)).toEqual({ reason: '~/hello.txt does not say hello' });
    expect(await readFile(path.join(t.host.home, 'hello.txt'), 'utf8')).toBe('hello\n');
  });

  it('expectIdempotent fails a task whose apply does not converge, and one whose check mutates', async () => {
    const t = await createTestContext({ exec: () => ({}) });
    await expect(expectIdempotent({ ...greeting, apply: async () => {} }, t)).rejects.toThrow(
      /apply did not converge: ~\/hello.txt does not say hello/,
    );
    let applied = false;
    const mutating: AscTask = {
      id: 'mutating',
      check: async (c) => {
        if (!applied) return drift('first');
        await c.exec.run('touch', ['x']).catch(() => undefined);
        return ok();
      },
      apply: async () => {
        applied = true;
      },
    };
    await expect(expectIdempotent(mutating, await createTestContext({ exec: () => ({}) }))).rejects.toThrow(
      /its check ran touch x/,
    );
  });

  it('answers commands from the test, refuses run in plan mode, and records every call (refused ones too)', async () => {
    const t = await createTestContext({
      exec: ([file, ...args]) =>
        file === 'limactl' ? { stdout: `limactl version 2.2.0 ${args.join(' ')}` } : undefined,
    });
    expect((await t.exec.query('limactl', ['--version'])).stdout).toBe('limactl version 2.2.0 --version');
    await expect(t.exec.query('colima', ['status'])).rejects.toThrow(/colima not found/);
    await expect(t.withMode(true).exec.run('limactl', ['stop'])).rejects.toThrow(/plan mode/);
    expect(t.commands).toEqual([
      { argv: ['limactl', '--version'], mutating: false },
      { argv: ['colima', 'status'], mutating: false },
      { argv: ['limactl', 'stop'], mutating: true },
    ]);
  });
});

describe("the kit's errors are asc's own", () => {
  it('a missing tool, a failed command and an unanswered guest command read as in a real run', async () => {
    const t = await createTestContext({
      tools: { colima: { install: 'brew install colima' } },
      exec: ([file]) =>
        file === 'docker' ? { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' } : undefined,
    });
    await expect(t.exec.query('colima', ['status'])).rejects.toMatchObject({
      code: 'E_TOOL_MISSING',
      message: 'colima not found: install it with `brew install colima`',
    });
    await expect(t.exec.query('docker', ['info'])).rejects.toMatchObject({
      code: 'E_COMMAND_FAILED',
      message: 'Command failed with exit code 1: docker info\n  Cannot connect to the Docker daemon',
    });
    await expect(t.guest.query(['docker', 'info'])).rejects.toMatchObject({
      code: 'E_COMMAND_FAILED',
      message:
        'Command failed with exit code 127: limactl shell --tty=false --workdir / default -- docker info\n  sh: 1: docker: not found',
    });
  });

  it('plan mode refuses what the product refuses, with its hints, a query into a file too', async () => {
    const t = (await createTestContext({ exec: () => ({ stdout: 'x' }), guest: () => ({}) })).withMode(true);
    await expect(t.guest.run(['touch', '/x'])).rejects.toMatchObject({
      code: 'E_PLAN_WRITE',
      message: 'plan mode: refusing to run a command that may change something: (in the VM) touch /x',
      hint: 'a check must only read; move this command into apply',
    });
    const out = path.join(t.host.home, 'home.tar.gz');
    await expect(t.guest.query(['tar', '-czf', '-', '.'], { stdoutFile: out })).rejects.toMatchObject({
      code: 'E_PLAN_WRITE',
      message: `plan mode: refusing to write ${out} (the output of (in the VM) tar -czf - .)`,
    });
    await expect(t.state.set('k', 1)).rejects.toThrow("plan mode: refusing to change asc's record test.k");
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });
});
