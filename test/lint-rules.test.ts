// The lint rules that hold plugins to the seam (docs/decisions.md, decisions 34 and 35): biome.json and
// lint/*.grit run on plugin files written into a copy of the repository's layout.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './harness/sandbox.ts';

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string; start: { line: number } };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'asc-lint-'));
  await cp(path.join(ROOT, 'biome.json'), path.join(dir, 'biome.json'));
  await cp(path.join(ROOT, 'lint'), path.join(dir, 'lint'), { recursive: true });
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(path.join(ROOT, 'node_modules', '@biomejs'), path.join(dir, 'node_modules', '@biomejs'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Lint one file at `relative` in the copy: its diagnostics as [line, category, message]. */
async function lint(relative: string, text: string): Promise<[number, string, string][]> {
  const file = path.join(dir, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  let stdout: string;
  try {
    stdout = execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'biome'),
      ['lint', '--reporter=json', relative],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
  } catch (error) {
    stdout = (error as { stdout: string }).stdout;
  } finally {
    await rm(file);
  }
  const { diagnostics } = JSON.parse(stdout) as { diagnostics: Diagnostic[] };
  return diagnostics.map((d) => [d.location.start.line, d.category, d.message]);
}

const BAD = `import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { AscError } from '../../src/core/errors.ts';
import { linkTask } from '../lima/forward.ts';
import type { AscTaskContext } from '../../src/index.ts';
export async function x(t: AscTaskContext) {
  await t.exec.run('ln', ['-sfn', 'a', 'b']);
  await t.exec.run('mkdir', ['-p', 'a']);
  await t.exec.query('rm', ['-f', 'a']);
  return [execFile, readFile, AscError, linkTask];
}
`;

const GOOD = `import path from 'node:path';
import { type AscTaskContext, displayPath } from '../../src/index.ts';
import { limaState, linkTask } from '../lima/api.ts';
export async function x(t: AscTaskContext) {
  await t.files.symlink('/a.sock', path.join(t.host.home, 'b'));
  await t.guest.run(['rm', '-f', '/home/u/.asc-docker.sock']);
  await t.exec.run('limactl', ['stop', 'default']);
  return [displayPath, limaState, linkTask];
}
`;

describe('the lint rules for plugins', () => {
  it('refuse node:fs, node:child_process, another plugin’s or the core’s inner files, and file commands', async () => {
    const found = await lint('plugins/docker/probe.ts', BAD);
    expect(found.map(([line, category]) => [line, category])).toEqual([
      [1, 'lint/style/noRestrictedImports'],
      [2, 'lint/style/noRestrictedImports'],
      [3, 'lint/style/noRestrictedImports'],
      [4, 'lint/style/noRestrictedImports'],
      [7, 'plugin'],
      [8, 'plugin'],
      [9, 'plugin'],
    ]);
    expect(found[0]?.[2]).toMatch(/only through t\.exec and t\.guest/);
    expect(found[1]?.[2]).toMatch(/only through t\.files/);
    expect(found[3]?.[2]).toMatch(/only through its public face \(plugins\/lima\/api\.ts\)/);
    expect(found[4]?.[2]).toMatch(
      /through t\.files \(symlink, mkdir, rename, remove, removeDir\), not a file command/,
    );
  });

  it('allow the public API, lima’s face, a plugin’s own files, guest commands, and anything in tests', async () => {
    expect(await lint('plugins/docker/probe.ts', GOOD)).toEqual([]);
    expect(
      await lint(
        'plugins/lima/probe.ts',
        "import { readLink } from './forward.ts';\nexport const x = readLink;\n",
      ),
    ).toEqual([]);
    expect(await lint('plugins/docker/probe.test.ts', BAD)).toEqual([]);
    expect(
      await lint(
        'src/core/probe.ts',
        "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n",
      ),
    ).toEqual([]);
  });
});
