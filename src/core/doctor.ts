import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import semver from 'semver';
import { AscError, describeFailure } from './errors.ts';
import { PendingHandlers } from './pending.ts';
import type { DoctorNode } from './task-node.ts';
import type { AscDoctorFinding, AscDoctorStatus, AscTaskContext } from './types.ts';

/** One row of `asc doctor`, as printed and as `--json` gives it. */
export interface DoctorRow {
  id: string;
  title: string;
  status: AscDoctorStatus;
  message: string;
  fix: string | null;
}

/** asc's own `engines.node`. */
export const MIN_NODE = '22.12.0';

/**
 * Every row at once (bounded), each with a read-only context from the same run-scoped factory, so they
 * share one `limactl list` and one guest round trip. A row that throws fails with what it threw.
 */
export async function runDoctor(
  nodes: readonly DoctorNode[],
  contextFor: (node: DoctorNode) => AscTaskContext,
  options: { concurrency: number; verbose: boolean },
): Promise<DoctorRow[]> {
  const limit = pLimit(Math.max(1, options.concurrency));
  return Promise.all(
    nodes.map((node) =>
      limit(async (): Promise<DoctorRow> => {
        let finding: AscDoctorFinding;
        try {
          finding = await node.run(contextFor(node));
        } catch (error) {
          finding = {
            status: 'fail',
            message: describeFailure(error, node, options.verbose),
            ...fixOf(error),
          };
        }
        return {
          id: node.id,
          title: node.title,
          status: finding.status,
          message: finding.message,
          fix: finding.status === 'ok' ? null : (finding.fix ?? null),
        };
      }),
    ),
  );
}

/** What the core knows before any plugin row runs: how loading the config went. */
export interface CoreDoctorInput {
  /** The config file, or undefined for the built-in defaults. */
  configFile: string | undefined;
  /** The error that made the config unusable (rows then come from the built-in defaults). */
  configError: AscError | undefined;
  stateDir: string;
  /** Handlers of the enabled plugins (a pending one of a disabled plugin is only noted). */
  handlerIds: ReadonlySet<string>;
}

/** The core's own rows: Node.js, macOS, Homebrew, the config, the run lock, the state folder. */
export function coreDoctorChecks(input: CoreDoctorInput): DoctorNode[] {
  const row = (id: string, title: string, run: DoctorNode['run']): DoctorNode => ({
    id: `core.${id}`,
    plugin: 'core',
    title,
    run,
  });
  return [
    row('node', 'Node.js', async () => {
      const version = process.versions.node;
      return semver.gte(version, MIN_NODE)
        ? { status: 'ok', message: `Node.js ${version}` }
        : {
            status: 'fail',
            message: `Node.js ${version} is older than ${MIN_NODE}`,
            fix: 'brew install node (or your version manager: 22.12 or newer)',
          };
    }),
    row('macos', 'macOS', async (t) => {
      const facts = await t.host.facts();
      if (facts.platform === 'darwin') {
        return {
          status: 'ok',
          message: `macOS ${facts.macosVersion ?? '(version unknown)'} on ${facts.arch}`,
        };
      }
      return {
        status: 'warn',
        message: `this machine runs ${facts.platform === 'linux' ? 'Linux' : facts.platform}: asc manages a Mac's Lima VM, so the rows below that need the Mac's tools fail here`,
        fix: 'run asc on the Mac that hosts the VM',
      };
    }),
    row('homebrew', 'Homebrew', async (t) => {
      const facts = await t.host.facts();
      if (facts.brewPrefix) return { status: 'ok', message: `Homebrew at ${facts.brewPrefix}` };
      return {
        status: 'warn',
        message: 'brew not found: the install hints (brew install lima, …) assume Homebrew',
        fix: 'install Homebrew from https://brew.sh, or install the tools your own way',
      };
    }),
    row('config', 'config file', async () => {
      if (input.configError) {
        return {
          status: 'fail',
          message: `${input.configError.message
            .split('\n')
            .map((line) => line.trim())
            .join(' ')
            .replace(/: +/, ': ')} (the rows below use the built-in defaults)`,
          fix: input.configError.hint ?? 'fix the config file',
        };
      }
      return input.configFile
        ? { status: 'ok', message: `${input.configFile} is valid` }
        : { status: 'ok', message: 'no config file: the built-in defaults (`asc init` writes them out)' };
    }),
    row('lock', 'run lock', async () => lockFinding(path.join(input.stateDir, 'run.lock'))),
    row('state', 'state folder', async () => {
      const dir = input.stateDir;
      try {
        await access(dir, constants.W_OK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          return {
            status: 'fail',
            message: `asc cannot write its state folder ${dir}: ${(error as Error).message}`,
            fix: `chown -R "$(id -un)" ${dir}`,
          };
        }
      }
      const pending = Object.entries(await new PendingHandlers(dir).all());
      if (pending.length === 0)
        return { status: 'ok', message: `${dir} (backups, records, no pending handler)` };
      const [id, since] = pending[0]!;
      const enabled = input.handlerIds.has(id);
      return {
        status: 'warn',
        message: `handler ${id} is pending since ${since.since}${enabled ? '' : ' (its plugin is not enabled now)'}${pending.length > 1 ? `, and ${pending.length - 1} more` : ''}`,
        fix: enabled ? 'asc run (a run runs pending handlers)' : 'asc uninstall forgets pending handlers',
      };
    }),
  ];
}

async function lockFinding(file: string): Promise<AscDoctorFinding> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { status: 'ok', message: 'no asc run in progress' };
  }
  try {
    const holder = JSON.parse(text) as { pid: number; since: string; command: string };
    process.kill(holder.pid, 0);
    return {
      status: 'warn',
      message: `an asc run holds the lock: pid ${holder.pid} since ${holder.since} (${holder.command})`,
      fix: 'wait for it to finish',
    };
  } catch {
    return {
      status: 'warn',
      message: `a stale lock from a run that is gone: ${file}`,
      fix: `the next run takes it over; or rm ${file}`,
    };
  }
}

/** The fix a thrown error carries: its hint, or the install command of a missing tool. */
function fixOf(error: unknown): { fix?: string } {
  if (!(error instanceof AscError)) return {};
  if (error.hint) return { fix: error.hint };
  const install = /install it with `([^`]+)`/.exec(error.message)?.[1];
  return install ? { fix: install } : {};
}
