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

  it('a timeout or a cancel ends the whole process group, what the command started included', async () => {
    // `sh` starts a sleep that holds the output pipe: killing only `sh` would leave the call waiting.
    const pidFile = path.join(dir, 'pid');
    const script = `sleep 60 & echo $! > ${JSON.stringify(pidFile)}; wait`;
    await expect(execCommand('sh', ['-c', script], { timeoutMs: 500 }, settings)).rejects.toMatchObject({
      code: 'E_TIMEOUT',
    });
    // Gone, or a zombie its new parent has not reaped yet: not running.
    const state = await execCommand(
      'ps',
      ['-o', 'stat=', '-p', (await readFile(pidFile, 'utf8')).trim()],
      {
        okCodes: [0, 1],
      },
      settings,
    );
    expect(state.stdout.trim()).toMatch(/^(Z.*)?$/);

    const stop = new AbortController();
    const running = execCommand('sh', ['-c', `${script}`], {}, { ...settings, signal: stop.signal });
    // Cancelled once the command has started its child.
    while (!(await readFile(pidFile, 'utf8').catch(() => '')).trim()) await new Promise(setImmediate);
    stop.abort();
    await expect(running).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('output is UTF-8 text without one final newline; a signal is named; input reaches stdin', async () => {
    const out = await execCommand('sh', ['-c', 'printf "é\\n\\n"; printf "warn\\r\\n" >&2'], {}, settings);
    expect(out).toMatchObject({ exitCode: 0, stdout: 'é\n', stderr: 'warn' });
    await expect(execCommand('sh', ['-c', 'kill -KILL $$'], {}, settings)).rejects.toThrow(
      "Command was killed with SIGKILL: sh -c 'kill -KILL $$'",
    );
    expect((await execCommand('cat', [], { input: 'in\n' }, settings)).stdout).toBe('in');
  });

  it('a failure quotes the command and the tail of stdout when stderr is empty', async () => {
    await expect(
      execCommand('sh', ['-c', 'echo step 1; echo step 2 broke; exit 4'], {}, settings),
    ).rejects.toThrow(
      "Command failed with exit code 4: sh -c 'echo step 1; echo step 2 broke; exit 4'\n  step 1\n  step 2 broke",
    );
  });

  it('a missing program says how to get it: the install command, or where macOS ships it', async () => {
    const tools = {
      'asc-no-such-brew-tool': { install: 'brew install asc-tool' },
      'asc-no-such-plutil': { macOS: '/usr/bin/asc-no-such-plutil' },
    };
    // `uname` answers Darwin here: the message is about the tool, not the machine.
    await writeFile(path.join(dir, 'uname'), '#!/bin/sh\necho Darwin\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    await expect(execCommand('asc-no-such-brew-tool', [], {}, { ...settings, tools, env })).rejects.toThrow(
      'asc-no-such-brew-tool not found: install it with `brew install asc-tool`',
    );
    await expect(execCommand('asc-no-such-plutil', [], {}, { ...settings, tools, env })).rejects.toThrow(
      /^asc-no-such-plutil not found: macOS ships it as \/usr\/bin\/asc-no-such-plutil; is \/usr\/bin on PATH\?$/,
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
