// Completion scripts loaded by the real shells (bash, zsh, fish from Debian; .ci/run installs them):
// each completes a command, a flag and a task id of the current config, asked of asc at <Tab> time.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { CLI, createSandbox, type Sandbox } from '../harness/sandbox.ts';

const shells = { bash: '/bin/bash', zsh: '/usr/bin/zsh', fish: '/usr/bin/fish' } as const;

let sandbox: Sandbox;
let cwd: string;
beforeAll(async () => {
  sandbox = await createSandbox();
  // `asc` on PATH, as an installed asc is: the scripts call it.
  await sandbox.addBin(
    'asc',
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
  );
  cwd = path.join(sandbox.home, 'sysinit');
  await sandbox.write(
    'sysinit/.ascrc.yaml',
    'plugins:\n  lima: {}\ntasks:\n  - id: docs.guide\n    phase: phase4\n    check: "true"\n    apply: "true"\n',
  );
});
afterAll(() => sandbox.cleanup());

const script = async (shell: string) => (await sandbox.asc(['completion', shell])).stdout;

describe('shell completion', () => {
  it('prints a script for each shell, and refuses an unknown one with exit 2', async () => {
    for (const shell of ['zsh', 'bash', 'fish']) expect(await script(shell)).toMatch(/asc __complete/);
    const bad = await sandbox.asc(['completion', 'tcsh']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('completion tcsh: expected one of zsh, bash, fish');
  });

  // bash is part of every Debian system (Essential): no skip.
  describe('bash', () => {
    it('completes a command, a flag and a task id from the config', async () => {
      await sandbox.write('completion.bash', await script('bash'));
      const complete = async (...words: string[]) => {
        const line = `source ${JSON.stringify(path.join(sandbox.home, 'completion.bash'))}
COMP_WORDS=(asc ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}
_asc_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
        return (await sandbox.exec(shells.bash, ['-c', line], { cwd })).stdout.trim().split('\n');
      };
      expect(await complete('sta')).toEqual(['status']);
      expect(await complete('run', '--conc')).toEqual(['--concurrency']);
      // `--` alone is a word to complete, not the end of asc's options.
      expect(await complete('run', '--')).toEqual(
        expect.arrayContaining(['--yes', '--concurrency', '--config']),
      );
      expect(await complete('run', 'lima.r')).toEqual(['lima.running']);
      expect(await complete('plan', 'docs')).toEqual(['docs', 'docs.guide']);
    });
  });

  describe.skipIf(skipUnless(existsSync(shells.zsh), shells.zsh, 'apt-get install zsh'))('zsh', () => {
    it('loads after compinit, registers _asc for asc, and completes a task id', async () => {
      await sandbox.write('completion.zsh', await script('zsh'));
      const line = `autoload -Uz compinit && compinit -u
source ${JSON.stringify(path.join(sandbox.home, 'completion.zsh'))}
print -r -- "registered: $_comps[asc]"
# compadd only works inside a completion widget: stand in for it, and call the function as zle would.
compadd() { [[ $1 == -a ]] && print -rl -- "\${(@P)2}" }
words=(asc run lima.r); CURRENT=3; _asc
words=(asc st); CURRENT=2; _asc`;
      const result = await sandbox.exec(shells.zsh, ['-f', '-c', line], { cwd });
      expect(result.stderr).toBe('');
      expect(result.stdout.trim().split('\n')).toEqual(['registered: _asc', 'lima.running', 'status']);
    });
  });

  describe.skipIf(skipUnless(existsSync(shells.fish), shells.fish, 'apt-get install fish'))('fish', () => {
    it('completes a task id through complete -C', async () => {
      await sandbox.write('completion.fish', await script('fish'));
      const line = `source ${JSON.stringify(path.join(sandbox.home, 'completion.fish'))}; complete -C 'asc run lima.r'; complete -C 'asc completion z'`;
      const result = await sandbox.exec(shells.fish, ['--no-config', '-c', line], { cwd });
      expect(result.stdout.trim().split('\n')).toEqual(['lima.running', 'zsh']);
    });
  });
});
