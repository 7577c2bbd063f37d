import { describe, expect, it } from 'vitest';
import { execCommand } from './exec.ts';

const settings = { signal: new AbortController().signal, tools: {}, env: process.env };

describe('a host command’s stdin', () => {
  it('without input is at its end at once (no pipe left open), with input it reads exactly that', async () => {
    const script = 'cat; echo "[end]"';
    expect((await execCommand('sh', ['-c', script], {}, settings)).stdout).toBe('[end]');
    expect((await execCommand('sh', ['-c', script], { input: 'secret\n' }, settings)).stdout).toBe(
      'secret\n[end]',
    );
    expect((await execCommand('sh', ['-c', script], { input: '' }, settings)).stdout).toBe('[end]');
  });

  it('env given to one command is added to the inherited environment, for that command only', async () => {
    const printEnv = ['-c', 'printf "%s %s" "$ASC_EXEC_TEST" "$([ -n "$PATH" ] && echo path)"'];
    expect((await execCommand('sh', printEnv, { env: { ASC_EXEC_TEST: 'one' } }, settings)).stdout).toBe(
      'one path',
    );
    expect((await execCommand('sh', printEnv, {}, settings)).stdout).toBe(' path');
  });
});
