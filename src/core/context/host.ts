import { userInfo } from 'node:os';
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
  const uid = process.getuid?.() ?? -1;
  const facts = () => once('core:host-facts', () => gatherHostFacts(exec, uid));
  return {
    home,
    env,
    stateDir,
    uid,
    facts,
    ascProgram: () =>
      once('core:asc-program', async () => stableProgram(program, (await facts()).brewPrefix, home)),
  };
}

/** The user asc runs as, from the user database (what `id -un` prints), without a command. */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function gatherHostFacts(exec: AscExec, uid: number): Promise<AscHostFacts> {
  const read = async (file: string, args: string[]) => {
    try {
      return (await exec.query(file, args, { timeoutMs: 10_000 })).stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  // One round: sw_vers is asked whatever the system (it is missing off a Mac), and kept only on a Mac.
  // The user and uid are the process's own: no command needed.
  const [system, arch, swVers, brewPrefix] = await Promise.all([
    read('uname', ['-s']),
    read('uname', ['-m']),
    read('sw_vers', ['-productVersion']),
    read('brew', ['--prefix']),
  ]);
  const platform = (system ?? process.platform).toLowerCase();
  const macosVersion = platform === 'darwin' ? swVers : undefined;
  return {
    platform,
    arch: arch ?? process.arch,
    macosVersion,
    user: userName(),
    uid,
    brewPrefix,
  };
}
