import path from 'node:path';
import {
  ALL_EXIT_CODES,
  AscError,
  type AscExecResult,
  type AscTask,
  type AscTaskContext,
  displayPath,
  drift,
  lastLine,
  ok,
} from '../../src/index.ts';
import { hostAlias, limaHome, limaState } from './limactl.ts';
import { sha256 } from './managed.ts';
import { addInclude, hasInclude, includeLine, includeProblems, sshConfigOwner } from './ssh-config.ts';

/** `lima.ssh-include` and `lima.ssh-reachable`: `ssh lima-<instance>` (and WezTerm) find the VM. */
export function sshTasks(instance: string): AscTask[] {
  return [
    {
      id: 'ssh-include',
      title: `~/.ssh/config includes ${hostAlias(instance)}`,
      phase: 'phase1',
      // Not before Lima is there: an Include of a file no Lima will write helps nobody.
      needs: ['lima.installed'],
      async check(t) {
        const { file, target } = sshPaths(t, instance);
        const text = (await t.files.read(file)) ?? '';
        const found = includeProblems(text, target);
        if (found.found) return ok();
        // An Include that is there but in the wrong place or form: say where, as doctor does.
        const where = found.why.startsWith('line ')
          ? ` (${displayPath(file, t.host.home)} ${found.why})`
          : '';
        const missing = `${includeLine(target)} is missing${where}`;
        const owner = await sshConfigOwner(t.files, file, target, t.host.env);
        if (!owner.writable) return drift(`${missing}, and ${owner.why}`);
        return drift(missing, await t.files.diff(file, addInclude(text, target, instance)));
      },
      async apply(t) {
        const { file, target } = sshPaths(t, instance);
        const owner = await sshConfigOwner(t.files, file, target, t.host.env);
        if (!owner.writable) {
          throw new AscError(`${owner.why}; asc will not write it`, { code: 'E_REFUSED', hint: owner.fix });
        }
        const before = await t.files.read(file);
        const after = addInclude(before ?? '', target, instance);
        const { backup } = await t.files.write(file, after, { mode: 0o600 });
        // What asc found and wrote: `asc uninstall` puts the file back exactly as it was, if nobody changed it since.
        await t.state.set(includeRecordKey(instance), {
          created: before === undefined,
          backup,
          sha256: sha256(after),
        });
        return `added ${includeLine(target)} to ~/.ssh/config`;
      },
    },
    {
      id: 'ssh-reachable',
      title: `ssh ${hostAlias(instance)} works`,
      phase: 'phase1',
      needs: ['lima.running', 'lima.ssh-include'],
      async check(t) {
        const result = await ssh(t, instance, ['true']);
        if (result.exitCode === 0) return ok();
        return drift(await brokenLink(t, instance, result));
      },
      async apply(t) {
        const result = await ssh(t, instance, ['true']);
        if (result.exitCode === 0) return;
        throw new AscError(
          `ssh ${hostAlias(instance)} does not reach the VM: ${await brokenLink(t, instance, result)}`,
          {
            code: 'E_COMMAND_FAILED',
            hint: `try \`ssh -v ${hostAlias(instance)} true\`; \`asc doctor\` checks each link`,
          },
        );
      },
    },
  ];
}

/** The record of asc's edit of ~/.ssh/config for an instance. */
export const includeRecordKey = (instance: string) => `ssh-include:${instance}`;

export function sshPaths(t: AscTaskContext, instance: string): { file: string; target: string } {
  return {
    file: path.join(t.host.home, '.ssh', 'config'),
    target: path.join(limaHome(t), instance, 'ssh.config'),
  };
}

/**
 * `ssh -F <home>/.ssh/config lima-<instance> …`: -F because OpenSSH finds `~` through the account
 * database, not $HOME. ControlMaster=no: reuse Lima's master if there is one, never leave a new one behind.
 */
export function ssh(t: AscTaskContext, instance: string, command: readonly string[]): Promise<AscExecResult> {
  const { file } = sshPaths(t, instance);
  return t.exec.query(
    'ssh',
    ['-F', file, '-o', 'ControlMaster=no', '-o', 'ConnectTimeout=15', hostAlias(instance), ...command],
    { timeoutMs: 30_000, okCodes: ALL_EXIT_CODES },
  );
}

/**
 * Which link between `ssh lima-<instance>` and the VM is broken: the Include is missing (or stands after
 * a Host/Match block), ssh resolves the alias to another port than the one Lima's VM listens on now (a
 * Host block above the Include, or a hard-coded port), or sshd does not answer.
 */
export async function brokenLink(
  t: AscTaskContext,
  instance: string,
  failed: AscExecResult,
): Promise<string> {
  const { file, target } = sshPaths(t, instance);
  const said = lastLine(failed.stderr) || `exit ${failed.exitCode}`;
  if (!hasInclude((await t.files.read(file)) ?? '', target)) {
    return `${file} has no \`${includeLine(target)}\` before its first Host or Match line (${said})`;
  }
  const found = await (await limaState(t)).instance(t, instance);
  const resolved = await t.exec.query('ssh', ['-G', '-F', file, hostAlias(instance)], {
    timeoutMs: 15_000,
    okCodes: ALL_EXIT_CODES,
  });
  const port = /^port (\d+)$/m.exec(resolved.stdout)?.[1];
  if (found?.sshLocalPort && port && Number(port) !== found.sshLocalPort) {
    return `\`ssh -G ${hostAlias(instance)}\` resolves to port ${port}, but Lima's VM listens on ${found.sshLocalPort}: a Host block or option earlier in ${file} wins over the Include (${said})`;
  }
  return `sshd of ${instance} at 127.0.0.1:${port ?? '?'} does not answer: ${said}`;
}
