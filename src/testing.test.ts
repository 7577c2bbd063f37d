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
