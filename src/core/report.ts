import { ExitCode } from './errors.ts';
import type { RunReport } from './runner.ts';
import { indent } from './text.ts';
import type { AscTaskResult } from './types.ts';

export interface Summary {
  ok: number;
  changed: number;
  wouldChange: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export function summarize(report: RunReport): Summary {
  const count = (status: AscTaskResult['status']) => report.results.filter((r) => r.status === status).length;
  return {
    ok: count('ok'),
    changed: count('changed'),
    wouldChange: count('would-change'),
    failed: count('failed'),
    skipped: count('skipped'),
    durationMs: Math.round(report.durationMs),
  };
}

/** The worst wins: interrupted, then a failed task, then drift found by plan/status. */
export function exitCodeOf(report: RunReport, mode: 'run' | 'plan'): ExitCode {
  const summary = summarize(report);
  if (report.interrupted) return ExitCode.Interrupted;
  if (summary.failed > 0) return ExitCode.Failed;
  if (mode === 'plan' && summary.wouldChange > 0) return ExitCode.Drift;
  return ExitCode.Ok;
}

/** `recap: 3 ok, 2 changed, 1 failed, 1 skipped in 2.3s`, Ansible's PLAY RECAP in one line. */
export function recapLine(report: RunReport, command: string): string {
  const s = summarize(report);
  const middle = command === 'run' ? `${s.changed} changed` : `${s.wouldChange} would change`;
  const tail = report.interrupted ? ' (interrupted)' : '';
  return `${command}: ${s.ok} ok, ${middle}, ${s.failed} failed, ${s.skipped} skipped in ${seconds(s.durationMs)}${tail}`;
}

/**
 * What follows the tree: each drift with a diff, with its reason and diff (plan: the tree showed the
 * others), each drift in one line (status), every drift and its diff (`all`, when there was no tree),
 * and, when the tree could only show their first line, each failure with its whole message.
 */
export function details(
  report: RunReport,
  options: { drifts: 'diff' | 'line' | 'all' | 'none'; failures: boolean },
): { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  for (const result of report.results) {
    if (result.status === 'failed' && options.failures) {
      stderr.push(`✖ ${result.id}: ${indent(result.reason ?? 'failed', '    ', { rest: true })}`);
    } else if (result.status === 'would-change' && options.drifts !== 'none') {
      if (options.drifts !== 'diff' || result.diff)
        stdout.push(`~ ${result.id}: ${result.reason ?? 'would change'}`);
      if (result.diff && options.drifts !== 'line') stdout.push(indent(result.diff, '    '));
    }
  }
  return { stdout, stderr };
}

/** The one document `--json` prints. Missing values are null so every row has every key. */
export function jsonReport(
  report: RunReport,
  meta: { command: string; targets: readonly string[]; config: string | undefined; exitCode: number },
): string {
  return JSON.stringify(
    {
      command: meta.command,
      targets: meta.targets,
      config: meta.config ?? null,
      exitCode: meta.exitCode,
      interrupted: report.interrupted,
      summary: summarize(report),
      tasks: report.results.map((r) => ({
        id: r.id,
        plugin: r.plugin,
        phase: r.phase ?? null,
        title: r.title,
        status: r.status,
        reason: r.reason ?? null,
        diff: r.diff ?? null,
        durationMs: r.durationMs,
      })),
    },
    null,
    2,
  );
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
