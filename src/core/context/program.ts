import { constants } from 'node:fs';
import path from 'node:path';
import { access, realpath } from '../files/fs-promises.ts';
import type { AscProgram } from '../types.ts';

/**
 * How a LaunchAgent starts this asc again, where no shell, no PATH and no shebang's `env node` find it: the
 * Node that runs asc now and asc's own script, both absolute, each by the path that outlives upgrades
 * (docs/decisions.md, 46):
 * - Node through Homebrew's `<prefix>/bin/node` (or `<prefix>/opt/node/bin/node`) when that link leads to the
 *   same file, never the versioned Cellar path a `brew upgrade node` removes; Volta's `~/.volta/bin/node`
 *   shim when Volta runs it; otherwise the path itself (nvm's is versioned: `nvm uninstall` removes it).
 * - The script as asc was started (`process.argv[1]`): the npm bin link (`<prefix>/bin/asc`) when started
 *   from PATH, which `npm i -g ascalon` keeps and points at the new version, made absolute.
 */
export async function stableProgram(
  raw: AscProgram,
  brewPrefix: string | undefined,
  home: string,
): Promise<AscProgram> {
  return { node: await stableNode(raw.node, brewPrefix, home), script: path.resolve(raw.script) };
}

async function stableNode(node: string, brewPrefix: string | undefined, home: string): Promise<string> {
  const real = await realpath(node).catch(() => node);
  const links = brewPrefix
    ? [path.join(brewPrefix, 'bin', 'node'), path.join(brewPrefix, 'opt', 'node', 'bin', 'node')]
    : [];
  for (const link of links) {
    if ((await realpath(link).catch(() => undefined)) === real) return link;
  }
  const volta = path.join(home, '.volta');
  const shim = path.join(volta, 'bin', 'node');
  if ([node, real].some((p) => p.startsWith(`${volta}${path.sep}`)) && (await runnable(shim))) return shim;
  return path.resolve(node);
}

async function runnable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
