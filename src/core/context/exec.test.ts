import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execCommand } from './exec.ts';

const settings = { signal: new AbortController().signal, tools: {}, env: process.env };

describe('host commands', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'asc-exec-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('streams binary stdin from a file and binary stdout into a file, byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await writeFile(path.join(dir, 'in'), bytes);
    const result = await execCommand(
      'cat',
      [],
      { stdinFile: path.join(dir, 'in'), stdoutFile: path.join(dir, 'out') },
      settings,
    );
    expect(result.stdout).toBe('');
    expect(Buffer.compare(await readFile(path.join(dir, 'out')), bytes)).toBe(0);
  });

  it('a failure quotes the command and the tail of stdout when stderr is empty', async () => {
    await expect(
      execCommand('sh', ['-c', 'echo step 1; echo step 2 broke; exit 4'], {}, settings),
    ).rejects.toThrow(
      "Command failed with exit code 4: sh -c 'echo step 1; echo step 2 broke; exit 4'\n  step 1\n  step 2 broke",
    );
  });
});

describe('a missing program', () => {
  /** A Linux machine where only `uname` exists. */
  const linux = {
    ...settings,
    tools: { limactl: { install: 'brew install lima' } },
    spawn: async (file: string) =>
      file === 'uname'
        ? { exitCode: 0, stdout: 'Linux', stderr: '' }
        : { exitCode: undefined, stdout: '', stderr: '', missing: true },
  };

  it('is "asc manages a Mac" off a Mac only for the Mac tools plugins declare, never for git', async () => {
    await expect(execCommand('limactl', ['list'], {}, linux)).rejects.toMatchObject({
      code: 'E_TOOL_MISSING',
      message:
        "asc manages a Mac's Lima VM, and this machine runs Linux: limactl not found: install it with `brew install lima`",
    });
    await expect(execCommand('git', ['status'], {}, linux)).rejects.toMatchObject({
      code: 'E_TOOL_MISSING',
      message: 'git not found',
      hint: 'install git and make sure it is on PATH',
    });
  });
});
