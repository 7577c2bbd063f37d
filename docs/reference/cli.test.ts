// docs/reference/cli.md quotes every `--help` of the built CLI word for word, at 80 columns.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist', 'cli.cjs');
const doc = readFileSync(path.join(ROOT, 'docs/reference/cli.md'), 'utf8');
const COMMANDS = [
  'run',
  'plan',
  'status',
  'doctor',
  'uninstall',
  'backup',
  'restore',
  'list',
  'graph',
  'init',
  'completion',
];

/** What `asc [command] --help` prints, piped (so commander wraps at 80 columns), by command ('' for asc). */
const helps = new Map<string, string>();
beforeAll(async () => {
  await Promise.all(
    ['', ...COMMANDS].map(async (command) => {
      const args = command ? [CLI, command, '--help'] : [CLI, '--help'];
      const { stdout } = await promisify(execFile)(process.execPath, args, {
        env: { ...process.env, COLUMNS: '80' },
      });
      helps.set(command, stdout.trimEnd());
    }),
  );
});
const fenced = (text: string) => `\`\`\`\n${text}\n\`\`\``;

describe('docs/reference/cli.md', () => {
  it('quotes `asc --help` whole, and has a section for every command it lists', () => {
    const text = helps.get('') ?? '';
    expect(doc).toContain(fenced(text));
    const listed = text.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
    const commands = [...listed.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.sort()).toEqual([...COMMANDS].sort());
    for (const command of commands) expect(doc).toContain(`\n## asc ${command}\n`);
  });

  // run, plan and status end with the same exit codes, targets and examples as `asc --help`: quoted once.
  it.each(['run', 'plan', 'status'])('quotes `asc %s --help` up to its exit codes', (command) => {
    const text = helps.get(command) ?? '';
    expect(text).toContain('\n\nExit codes');
    expect(doc).toContain(fenced(text.slice(0, text.indexOf('\n\nExit codes'))));
  });

  it.each(COMMANDS.slice(3))('quotes `asc %s --help` whole', (command) => {
    expect(doc).toContain(fenced(helps.get(command) ?? '(no help)'));
  });
});
