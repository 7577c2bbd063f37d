import * as commander from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addConvergeCommand,
  addGlobalOptions,
  CONVERGE_COMMANDS,
  type QuickArgs,
  quickConvergeArgs,
} from './argv.ts';

/** What commander makes of a line, with the CLI's own options and commands: what it runs, or that it refuses. */
async function commanderReads(args: readonly string[]): Promise<QuickArgs | 'refused'> {
  let read: QuickArgs | undefined;
  const program = new commander.Command('asc')
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .version('0.0.0')
    .exitOverride();
  addGlobalOptions(program);
  for (const name of CONVERGE_COMMANDS) {
    addConvergeCommand(program, name, commander, async (targets, options) => {
      read = { command: name, targets, options };
    });
  }
  program.command('doctor').action(async () => {});
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch {
    return 'refused';
  }
  return read ?? 'refused';
}

/** The words people and scripts put on the line, right and wrong. */
const WORDS = [
  ...CONVERGE_COMMANDS,
  'doctor',
  'help',
  'all',
  'lima',
  'docker.*',
  'phase2',
  '',
  '-',
  '--',
  '--json',
  '--no-json',
  '-v',
  '--verbose',
  '--no-color',
  '--color',
  '--no-cache',
  '--cache',
  '-c',
  '--config',
  'asc.yaml',
  '--config=asc.yaml',
  '-casc.yaml',
  '-c=asc.yaml',
  '-j',
  '--concurrency',
  '--concurrency=4',
  '-j4',
  '-j=4',
  '4',
  '0',
  '-1',
  'x',
  '-y',
  '--yes',
  '--unattended',
  '-vy',
  '-yv',
  '-vj4',
  '-jv',
  '-h',
  '--help',
  '-V',
  '--version',
  '--bogus',
  '-x',
];

describe('the quick reader of asc run, plan and status', () => {
  it('reads a line only as commander reads it, and leaves every other line to commander', async () => {
    const word = fc.constantFrom(...WORDS);
    // Any words at all, and lines shaped as they are typed: a few words, a command, then any words.
    const shaped = fc
      .tuple(
        fc.array(word, { maxLength: 2 }),
        fc.constantFrom(...CONVERGE_COMMANDS),
        fc.array(word, { maxLength: 5 }),
      )
      .map(([before, command, after]) => [...before, command, ...after]);
    const line = fc.oneof(
      { arbitrary: fc.array(word, { maxLength: 7 }), weight: 1 },
      { arbitrary: shaped, weight: 3 },
    );
    let read = 0;
    await fc.assert(
      fc.asyncProperty(line, async (args) => {
        const quick = quickConvergeArgs(args);
        if (quick === undefined) return;
        read++;
        expect(await commanderReads(args)).toEqual(quick);
      }),
      { numRuns: 3000 },
    );
    // The quick reader took a good share of the lines, so the comparison above was made often.
    expect(read).toBeGreaterThan(200);
  });

  it('reads the lines people type every day', async () => {
    for (const args of [
      ['run'],
      ['run', 'all'],
      ['run', 'phase1', '--yes'],
      ['run', 'lima', '-y', '-j', '4'],
      ['plan', 'all', '--json'],
      ['--json', 'plan'],
      ['status', 'phase2'],
      ['status', 'docker.*', '--no-color', '-v'],
      ['-c', 'asc.yaml', 'run', '--unattended', 'backup.archive'],
      ['run', '--no-cache', '--concurrency=2', 'all'],
    ]) {
      const quick = quickConvergeArgs(args);
      expect(quick, args.join(' ')).toBeDefined();
      expect(await commanderReads(args)).toEqual(quick);
    }
  });

  it('leaves help, a mistake and the other commands to commander', () => {
    for (const args of [
      [],
      ['--help'],
      ['run', '--help'],
      ['help', 'run'],
      ['--version'],
      ['doctor'],
      ['--yes', 'run'],
      ['plan', '--yes'],
      ['run', '-j', '0'],
      ['run', '--bogus'],
      ['run', '--color'],
      ['run', '--no-json'],
      ['phase1'],
    ]) {
      expect(quickConvergeArgs(args), args.join(' ')).toBeUndefined();
    }
  });
});
