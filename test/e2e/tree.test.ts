// The tree at a real terminal (util-linux `script` gives asc a pseudo-terminal): drift looks like drift.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

const plugin = `
export default {
  name: 'broken',
  tasks: () => [{ id: 'check', async check() { throw Object.assign(new Error('no answer'), { name: 'AscError' }); }, async apply() {} }],
};
`;

const config = `plugins:
  ./broken.mjs: {}
tasks:
  - id: fine.one
    check: "true"
    apply: "true"
  - id: drifted.one
    check: "false"
    apply: "true"
  - id: drifted.two
    check: "true"
    apply: "true"
`;

/** Every frame listr2 drew, as lines without escape codes. */
function finalFrame(output: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
  const plain = output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  return plain.split('\n').map((line) => line.trimEnd());
}

/** `asc plan` in the project, at a pseudo-terminal `cols` wide. */
async function planAtTerminal(cols: number) {
  const cwd = path.join(sandbox.home, 'project');
  await sandbox.write('project/broken.mjs', plugin);
  await sandbox.write('project/.ascrc.yaml', config);
  const command = `stty cols ${cols} rows 50; exec ${process.execPath} ${CLI} plan`;
  return sandbox.exec('script', ['-qfec', command, '/dev/null'], { cwd, env: { TERM: 'xterm' } });
}

describe('the tree at a terminal', () => {
  it('plan marks a drifted task ~ under a ~ parent, and a failed one ✖ under a ✖ parent', async () => {
    const result = await planAtTerminal(200);
    expect(result.exitCode).toBe(1); // a failed check outweighs drift
    const lines = finalFrame(result.stdout);
    for (const line of [
      '✔ fine',
      '  ✔ fine.one',
      '~ drifted',
      '  ~ drifted.one: would change (check exited 1)',
      '  ✔ drifted.two',
      '✖ broken',
      '  ✖ broken.check',
    ]) {
      expect(lines).toContain(line);
    }
    // Never drawn as done: not in the final frame, nor in any frame before it.
    for (const line of ['✔ drifted', '  ✔ drifted.one', '✔ broken', '⚠ broken'])
      expect(lines).not.toContain(line);
  });

  it('a terminal of width 0 gets one plain line per task, not the tree a character a line', async () => {
    const result = await planAtTerminal(0);
    expect(result.exitCode).toBe(1);
    const lines = finalFrame(result.stdout);
    expect(lines).toContain('✔ fine.one: ok');
    expect(lines).toContain('~ drifted.one: would change: check exited 1');
    expect(lines.filter((line) => line.trim().length === 1)).toEqual([]);
  });
});
