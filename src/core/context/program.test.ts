import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableProgram } from './program.ts';

let root: string;
const exe = async (file: string) => {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '#!/bin/sh\n', { mode: 0o755 });
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'asc-program-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('stableProgram: the node and asc a LaunchAgent names', () => {
  it("names Homebrew's node link, not the Cellar path a brew upgrade removes", async () => {
    const prefix = path.join(root, 'brew');
    const cellar = path.join(prefix, 'Cellar', 'node', '25.2.1', 'bin', 'node');
    await exe(cellar);
    await mkdir(path.join(prefix, 'bin'), { recursive: true });
    await symlink('../Cellar/node/25.2.1/bin/node', path.join(prefix, 'bin', 'node'));
    const script = path.join(prefix, 'bin', 'asc');
    expect(await stableProgram({ node: cellar, script }, prefix, root)).toEqual({
      node: path.join(prefix, 'bin', 'node'),
      script,
    });
  });

  it('keeps a node that is not the one Homebrew links', async () => {
    const prefix = path.join(root, 'brew');
    const other = path.join(root, 'usr', 'local', 'bin', 'node');
    await exe(other);
    const got = await stableProgram({ node: other, script: 'dist/cli.cjs' }, prefix, root);
    expect(got).toEqual({ node: other, script: path.resolve('dist/cli.cjs') });
  });

  it("names Volta's shim when Volta runs asc", async () => {
    const home = path.join(root, 'volta-home');
    const image = path.join(home, '.volta', 'tools', 'image', 'node', '22.12.0', 'bin', 'node');
    await exe(image);
    await exe(path.join(home, '.volta', 'bin', 'node'));
    const got = await stableProgram({ node: image, script: '/x/asc' }, undefined, home);
    expect(got.node).toBe(path.join(home, '.volta', 'bin', 'node'));
  });

  it("keeps nvm's versioned node: there is no stable one", async () => {
    const node = path.join(root, 'nvm-home', '.nvm', 'versions', 'node', 'v22.12.0', 'bin', 'node');
    await exe(node);
    expect(
      (await stableProgram({ node, script: '/x/asc' }, undefined, path.join(root, 'nvm-home'))).node,
    ).toBe(node);
  });
});
