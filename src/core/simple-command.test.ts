import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simpleCommand } from './simple-command.ts';

/** The words sh makes of a line's arguments (expansions, splitting, globs), from sh itself. */
function shWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `for w in ${line}; do printf '%s\\0' "$w"; done`], {
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', HOME: '/home/someone', A: 'x y' },
    encoding: 'utf8',
  });
  return out.split('\0').slice(0, -1);
}

describe('a simple command', () => {
  it('is a line sh would only split on blanks; anything sh reads otherwise stays with sh', () => {
    expect(simpleCommand('/bin/true')).toEqual(['/bin/true']);
    expect(simpleCommand('  brew list\tlima  ')).toEqual(['brew', 'list', 'lima']);
    expect(simpleCommand('limactl list default --format={{.Status}}')).toBeUndefined();
    expect(simpleCommand('pgrep -q -f colima,docker a=b')).toEqual([
      'pgrep',
      '-q',
      '-f',
      'colima,docker',
      'a=b',
    ]);
    for (const line of [
      '',
      'true',
      'test -f x',
      '[ -f x ]',
      'cd /tmp',
      'command -v brew',
      'A=1 env',
      'grep -q x ~/.zshrc',
      'echo $HOME',
      'ls *.txt',
      'a; b',
      'a && b',
      'a | b',
      'a > f',
      'a # comment',
      "grep 'x y' f",
      'a\nb',
      'if true; then :; fi',
    ]) {
      expect(simpleCommand(line), line).toBeUndefined();
    }
  });

  it('has the very words sh makes of it', () => {
    // Mostly the characters a simple command may hold, now and then one it may not.
    const chars = fc.oneof(
      { arbitrary: fc.constantFrom(...'aZ09_@%+=:,./- \t'.split('')), weight: 30 },
      { arbitrary: fc.constantFrom(...'$*?[]~#\'"\\;&|<>(){}!\n'.split('')), weight: 1 },
    );
    let simple = 0;
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 24 }), (list) => {
        const line = `prog ${list.join('')}`;
        const words = simpleCommand(line);
        if (words === undefined) return;
        simple++;
        expect(words.slice(1)).toEqual(shWords(line.slice('prog '.length)));
      }),
      { numRuns: 300 },
    );
    expect(simple).toBeGreaterThan(100);
  });
});
