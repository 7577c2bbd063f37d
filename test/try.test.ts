// `npm run try`: a shell on the simulated Mac, and nothing of it left after `exit`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simUnavailable } from '../scripts/bench-sim.ts';
import { skipUnless } from './harness/require.ts';
import { ROOT } from './harness/sandbox.ts';

const why = simUnavailable();
const skip = skipUnless(why === undefined, 'the simulated Mac (sshd, docker)', why ?? '');

/** Run scripts/try.ts with `lines` typed into its shell; the shell's and the script's output. */
function tryShell(lines: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/try.ts')], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

describe.skipIf(skip)('npm run try', { timeout: 120_000 }, () => {
  it("opens a shell whose asc, limactl, lima and colima are the simulated Mac's, docker reaches Colima, and exit removes it all", async () => {
    const { code, output } = await tryShell([
      'echo "ROOT=$(dirname "$HOME")"',
      'for tool in asc limactl lima colima; do echo "$tool=$(command -v $tool)"; done',
      'asc list </dev/null | head -1',
      'docker ps --format "{{.Names}}" </dev/null',
      'exit',
    ]);
    expect(code).toBe(0);
    const root = /^ROOT=(\/.+)$/m.exec(output)?.[1] ?? '';
    expect(root).toMatch(/asc-sandbox-/);
    for (const tool of ['asc', 'limactl', 'lima', 'colima'])
      expect(output).toContain(`${tool}=${path.join(root, 'bin', tool)}`);
    expect(output).toMatch(/^config: .*sysinit\/\.ascrc\.yaml$/m);
    expect(output).toMatch(/^web$/m);
    expect(existsSync(root)).toBe(false);
  });
});
