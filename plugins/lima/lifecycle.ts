import { AscError, type AscTaskContext, withTempFile } from '../../src/index.ts';
import { LIMACTL, limaState, startLogs } from './limactl.ts';

/** limactl waits up to 3m10s for the exit event, then 3m for Stopped (pkg/instance/stop.go). */
const STOP_TIMEOUT_MS = 7 * 60_000;

/**
 * `limactl start --tty=false --timeout=<limit> <instance>`. limactl enforces its own timeout; asc kills
 * it only if it overruns that by a margin (at most a minute). Other tasks' guest commands wait until it
 * ends (`t.guest.offline`). Afterwards the run's `limactl list` and guest facts are stale: both are read
 * again on next use.
 */
export function startVm(
  t: AscTaskContext,
  instance: string,
  dir: string,
  timeout: { text: string; ms: number },
): Promise<void> {
  return t.guest.offline(async () => {
    const state = await limaState(t);
    state.invalidate();
    try {
      await t.exec.run(LIMACTL, ['start', '--tty=false', `--timeout=${timeout.text}`, instance], {
        timeoutMs: timeout.ms + Math.min(60_000, timeout.ms),
      });
    } catch (error) {
      throw new AscError(`the VM ${instance} did not start cleanly: ${(error as Error).message}`, {
        code: 'E_COMMAND_FAILED',
        hint: `see ${startLogs(dir)}; \`limactl list\` shows its status`,
      });
    } finally {
      state.invalidate();
    }
  });
}

/**
 * `limactl stop <instance>` (it exits 1 on a stopped instance: callers check the status first). Other
 * tasks' guest commands wait until it ends; a restart wraps its stop and start in one `t.guest.offline`.
 */
export function stopVm(t: AscTaskContext, instance: string): Promise<void> {
  return t.guest.offline(async () => {
    const state = await limaState(t);
    state.invalidate();
    try {
      await t.exec.run(LIMACTL, ['stop', instance], { timeoutMs: STOP_TIMEOUT_MS });
    } finally {
      state.invalidate();
    }
  });
}

/**
 * `limactl create --tty=false --name=<instance> <file>` from lima.yaml text. Without --tty=false a terminal
 * gets Lima's interactive menu (Lima's docs: pass it for automation). The run's `limactl list` is stale after.
 */
export async function createVm(t: AscTaskContext, instance: string, limaYaml: string): Promise<void> {
  const state = await limaState(t);
  await withSpecFile(t, limaYaml, async (file) => {
    state.invalidate();
    try {
      await t.exec.run(LIMACTL, ['create', '--tty=false', `--name=${instance}`, file], {
        timeoutMs: 5 * 60_000,
      });
    } finally {
      state.invalidate();
    }
  });
}

/**
 * `limactl delete <instance>`: the instance and its disk are gone. It refuses a running instance
 * (``expected status `Stopped` ``), so callers stop it first; a missing one is only a warning (exit 0).
 */
export function deleteVm(t: AscTaskContext, instance: string): Promise<void> {
  return t.guest.offline(async () => {
    const state = await limaState(t);
    state.invalidate();
    try {
      await t.exec.run(LIMACTL, ['delete', instance], { timeoutMs: STOP_TIMEOUT_MS });
    } finally {
      state.invalidate();
    }
  });
}

/** `limactl validate` on a file; its fatal message says what Lima rejects. */
export async function validateLimaYaml(t: AscTaskContext, file: string): Promise<void> {
  await t.exec.query(LIMACTL, ['validate', file], { timeoutMs: 60_000 });
}

/** A lima.yaml in a private temp folder (limactl create and validate read a path), removed afterwards. */
export function withSpecFile<T>(
  t: AscTaskContext,
  text: string,
  use: (file: string) => Promise<T>,
): Promise<T> {
  return withTempFile('lima.yaml', text, use, { dir: t.host.env.TMPDIR });
}
