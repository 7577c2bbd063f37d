import type { AscExec, AscHost, AscHostFacts, AscProgram } from '../types.ts';
import { stableProgram } from './program.ts';

/** Host facts from the host's own tools (so a simulated Mac can supply them), gathered once. */
export function createHost(
  home: string,
  stateDir: string,
  env: NodeJS.ProcessEnv,
  exec: AscExec,
  once: <T>(key: string, compute: () => Promise<T>) => Promise<T>,
  program: AscProgram = { node: process.execPath, script: process.argv[1] ?? process.execPath },
): AscHost {
  const facts = () => once('core:host-facts', () => gatherHostFacts(exec));
  return {
    home,
    env,
    stateDir,
    facts,
    ascProgram: () =>
      once('core:asc-program', async () => stableProgram(program, (await facts()).brewPrefix, home)),
  };
}

async function gatherHostFacts(exec: AscExec): Promise<AscHostFacts> {
  const read = async (file: string, args: string[]) => {
    try {
      return (await exec.query(file, args, { timeoutMs: 10_000 })).stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  // One round: sw_vers is asked whatever the system (it is missing off a Mac), and kept only on a Mac.
  const [system, arch, user, uid, swVers, brewPrefix] = await Promise.all([
    read('uname', ['-s']),
    read('uname', ['-m']),
    read('id', ['-un']),
    read('id', ['-u']),
    read('sw_vers', ['-productVersion']),
    read('brew', ['--prefix']),
  ]);
  const platform = (system ?? process.platform).toLowerCase();
  const macosVersion = platform === 'darwin' ? swVers : undefined;
  return {
    platform,
    arch: arch ?? process.arch,
    macosVersion,
    user: user ?? 'unknown',
    uid: Number(uid ?? -1),
    brewPrefix,
  };
}
