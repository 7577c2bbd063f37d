import type { AscParsedConfig } from './config/validate.ts';
import { drift, ok } from './define.ts';
import { parseDuration } from './duration.ts';
import { AscError } from './errors.ts';
import { simpleCommand } from './simple-command.ts';
import type { TaskNode } from './task-node.ts';
import { ALL_EXIT_CODES, tail } from './text.ts';
import type { AscExecOptions, AscExecResult, AscResolvedConfig, AscTaskContext } from './types.ts';

/**
 * Taskfile-style tasks from `tasks:`: `check` and `apply` are the user's own shell lines, run with
 * `sh -c` in the config's folder. Exit 0 from check means converged, anything else means drift.
 */
export function userTasks(tasks: AscParsedConfig['tasks'], config: AscResolvedConfig): TaskNode[] {
  return tasks.map((task, index) => {
    const timeoutMs = parseDuration(task.timeout);
    const options = { cwd: config.dir, timeoutMs };
    return {
      id: task.id,
      plugin: task.id.split('.')[0] ?? task.id,
      title: task.title ?? task.id,
      phase: task.phase,
      needs: task.needs ?? [],
      notify: [],
      source: `tasks[${index}] in ${config.file ?? 'the config'}`,
      async check(t) {
        const result = await runCheck(t, task.check, { ...options, okCodes: ALL_EXIT_CODES });
        if (result.exitCode === 0) return ok();
        const said = tail(result.stderr, 1) || tail(result.stdout, 1);
        return drift(`check exited ${result.exitCode}${said ? `: ${said}` : ''}`);
      },
      async apply(t) {
        const result = await t.exec.run('sh', ['-c', task.apply], options);
        for (const line of result.stdout.split('\n').filter(Boolean)) t.log.info(line);
      },
    };
  });
}

/**
 * A check's line. One simple command (`/usr/bin/pgrep -q colima`, `brew list lima`) starts its program
 * without a shell, which is what sh would do with it, minus sh's own start: a converged run is mostly
 * checks (decision 49). A program that is not found goes to `sh -c` after all, so that the check reports
 * what sh says of it (exit 127, "not found"), as any other line does.
 */
async function runCheck(t: AscTaskContext, line: string, options: AscExecOptions): Promise<AscExecResult> {
  const [program, ...args] = simpleCommand(line) ?? [];
  if (program !== undefined) {
    try {
      return await t.exec.query(program, args, options);
    } catch (error) {
      if (!(error instanceof AscError && error.code === 'E_TOOL_MISSING')) throw error;
    }
  }
  return t.exec.query('sh', ['-c', line], options);
}
