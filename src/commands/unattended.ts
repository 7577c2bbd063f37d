import path from 'node:path';
import { AscError, ExitCode } from '../core/errors.ts';
import { plainLine } from '../core/render.ts';
import { exitCodeOf, recapLine } from '../core/report.ts';
import type { RunReport } from '../core/runner.ts';
import { JsonRecords, stateDir } from '../core/state.ts';
import type { CommandIo } from './io.ts';

/**
 * `asc run --unattended`, what a LaunchAgent runs with nobody watching and its output going to a log:
 * - another asc run holds the lock: exit 0 at once, without a word (that run does the same work);
 * - nothing changed or failed: no output at all;
 * - otherwise the changed and failed rows and the recap, each line with the time. A failure that repeats
 *   the last unattended run's of the same command word for word is not written again (a Colima that is
 *   off would otherwise add the same lines every few minutes); the exit code still says 1.
 */
export async function runUnattended(
  io: CommandIo,
  command: string,
  where: { home: string; env: NodeJS.ProcessEnv },
  execute: () => Promise<RunReport>,
): Promise<number> {
  let report: RunReport;
  try {
    report = await execute();
  } catch (error) {
    if (error instanceof AscError && error.code === 'E_LOCKED') return ExitCode.Ok;
    throw error;
  }
  const exitCode = exitCodeOf(report, 'run');
  const rows = report.results.filter((r) => r.status === 'changed' || r.status === 'failed');
  const lines = rows.map((r) => plainLine(r, true));
  const records = new JsonRecords(path.join(stateDir(where.home, where.env), 'unattended.json'));
  const last = await records.get<string>(command).catch(() => undefined);
  const failedOnly = rows.every((r) => r.status === 'failed');
  // Taken when needed, without a dynamic import (decision 48).
  const { createHash } = process.getBuiltinModule('node:crypto');
  const fingerprint = createHash('sha256').update(lines.join('\n')).digest('hex');
  if (rows.length === 0 || (failedOnly && fingerprint === last)) {
    if (rows.length === 0 && last !== undefined) await forget(records, command);
    return exitCode;
  }
  const stamp = new Date().toISOString();
  for (const line of [...lines, recapLine(report, 'run')]) io.out(`${stamp} ${line}`);
  if (failedOnly) {
    await records
      .update((data) => {
        data[command] = fingerprint;
      })
      .catch(() => undefined);
  } else if (last !== undefined) await forget(records, command);
  return exitCode;
}

function forget(records: JsonRecords, command: string): Promise<void> {
  return records
    .update((data) => {
      delete data[command];
    })
    .catch(() => undefined);
}
