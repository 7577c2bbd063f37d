// The complete example of docs/writing-a-plugin.md is this folder's shell-env.mjs: type-checked by tsc
// (// @ts-check), run here through the built CLI, and kept word for word in the document.
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../test/harness/sandbox.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(ROOT, 'docs/examples/shell-env.mjs');

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(() => sandbox.cleanup());

describe('the complete example plugin', () => {
  it('is in docs/writing-a-plugin.md exactly as in docs/examples/shell-env.mjs', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/writing-a-plugin.md'), 'utf8');
    expect(doc).toContain(`\`\`\`js\n${readFileSync(EXAMPLE, 'utf8')}\`\`\``);
  });

  it('plans a diff, writes the file, then is converged; a changed value runs it again', async () => {
    const cwd = path.join(sandbox.home, 'sysinit');
    const config = (value: string) =>
      sandbox.write(
        'sysinit/.ascrc.yaml',
        `plugins:\n  ${JSON.stringify(EXAMPLE)}:\n    vars:\n      EDITOR: ${JSON.stringify(value)}\n`,
      );
    await config("it's nvim");
    const plan = await sandbox.asc(['plan'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain("+export EDITOR='it'\\''s nvim'");

    const run = await sandbox.asc(['run'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(await sandbox.read('.config/ascalon/env.sh')).toBe(
      "# Written by asc (shell-env plugin). Edit .ascrc.yaml, not this file.\nexport EDITOR='it'\\''s nvim'\n",
    );
    expect((await stat(path.join(sandbox.home, '.config/ascalon/env.sh'))).mode & 0o777).toBe(0o644);
    // The handler ran (tmux is not installed here, so it had nothing to reload).
    expect(run.stdout).toMatch(/✔ .*\(shell-env\.reload\): changed/);

    const again = await sandbox.asc(['run', '--json'], { cwd });
    expect(JSON.parse(again.stdout).tasks.map((r: { status: string }) => r.status)).toEqual([
      'ok',
      'skipped',
    ]);

    await config('vi');
    const changed = await sandbox.asc(['run', '--json'], { cwd });
    expect(JSON.parse(changed.stdout).tasks.map((r: { status: string }) => r.status)).toEqual([
      'changed',
      'changed',
    ]);
  });
});
