import path from 'node:path';
import semver from 'semver';
import { AscError, type AscTaskContext } from '../../src/index.ts';

/** One instance as `limactl list --json` reports it (the fields asc reads). */
export interface LimaInstance {
  name: string;
  status: string;
  dir: string;
  cpus?: number;
  memory?: number;
  disk?: number;
  sshConfigFile?: string;
  limaVersion?: string;
}

export const LIMACTL = 'limactl';
export const INSTALL_HINT = 'brew install lima';
/** `--tty=false` became a global flag in 0.18.0 (after 0.17.1 stopped reverse forwards deleting the host socket). */
export const MIN_VERSION = '0.18.0';
/** A new instance is created from `base: template:default`: `template:` locators in `base` came with 2.0. */
export const MIN_VERSION_CREATE = '2.0.0';

/**
 * Run-scoped Lima state: one `limactl list --json` per run, shared by every task, and read again only
 * after asc itself changed something (create, start, stop).
 */
export class LimaState {
  #list: Promise<LimaInstance[]> | undefined;

  list(t: AscTaskContext): Promise<LimaInstance[]> {
    this.#list ??= readList(t);
    this.#list.catch(() => {
      this.#list = undefined;
    });
    return this.#list;
  }

  async instance(t: AscTaskContext, name: string): Promise<LimaInstance | undefined> {
    return (await this.list(t)).find((instance) => instance.name === name);
  }

  /** After a mutating limactl call. */
  invalidate(): void {
    this.#list = undefined;
  }
}

export function limaState(t: AscTaskContext): Promise<LimaState> {
  return t.once('lima:state', async () => new LimaState());
}

/**
 * `limactl list --json` with no names: it exits 0 even when there is no instance (a named missing
 * instance exits 1 since v1.1), and prints JSON Lines, one object per instance, when stdout is not a TTY.
 */
async function readList(t: AscTaskContext): Promise<LimaInstance[]> {
  const { stdout } = await t.exec.query(LIMACTL, ['list', '--json'], { timeoutMs: 30_000 });
  const instances: LimaInstance[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      instances.push(JSON.parse(line) as LimaInstance);
    } catch {
      throw new AscError(`could not read \`limactl list --json\`: not JSON Lines: ${line.slice(0, 80)}`, {
        code: 'E_COMMAND_FAILED',
        hint: 'is limactl the real Lima? `limactl --version` should print "limactl version X"',
      });
    }
  }
  return instances;
}

/** `limactl version 2.2.0`, `limactl version v1.0.3`, `limactl version 2.3.0-beta.0` → a semver, leniently. */
export function parseLimaVersion(output: string): string | undefined {
  const match = /version\s+v?(\S+)/.exec(output) ?? /(\d+\.\d+(?:\.\d+)?\S*)/.exec(output);
  if (!match?.[1]) return undefined;
  return semver.valid(match[1]) ?? semver.coerce(match[1])?.version;
}

export function limaHome(t: AscTaskContext): string {
  return t.host.env.LIMA_HOME || path.join(t.host.home, '.lima');
}

/** Lima's host alias: `lima-` + the name with `.` and `_` turned into `-` (pkg/instance/hostname). */
export function hostAlias(instance: string): string {
  return `lima-${instance.replace(/[._]/g, '-')}`;
}

/** The log files that say why a start failed. */
export function startLogs(dir: string): string {
  return `${path.join(dir, 'ha.stderr.log')} (and serial*.log beside it)`;
}

/** `limactl --version`, probed once per run (the `lima:version` key): every plugin shares the answer. */
export async function limaVersion(t: AscTaskContext): Promise<string> {
  return t.once('lima:version', async () => {
    const { stdout, stderr } = await t.exec.query(LIMACTL, ['--version'], { timeoutMs: 15_000 });
    const version = parseLimaVersion(stdout || stderr);
    if (!version) {
      throw new AscError(`could not read the version from \`limactl --version\`: ${stdout || stderr}`, {
        code: 'E_TOOL_MISSING',
        hint: `reinstall Lima: \`${INSTALL_HINT}\``,
      });
    }
    return version;
  });
}
