import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import {
  AscError,
  type AscTask,
  type AscTaskContext,
  drift,
  editYaml,
  ok,
  parseDuration,
} from '../../src/index.ts';
import { creationYaml, limaYamlDrift } from './lima-yaml.ts';
import {
  hostAlias,
  LIMACTL,
  type LimaInstance,
  limaHome,
  limaState,
  limaVersion,
  MIN_VERSION,
  MIN_VERSION_CREATE,
  startLogs,
} from './limactl.ts';
import type { LimaOptions } from './options.ts';
import { addInclude, hasInclude, includeLine, sshConfigOwner } from './ssh-config.ts';

const STOP_TIMEOUT_MS = 7 * 60_000; // limactl waits up to 3m10s for the exit event, then 3m for Stopped

export function limaTasks(options: LimaOptions, instance: string): AscTask[] {
  const startTimeoutMs = parseDuration(options.startTimeout);
  // limactl enforces --timeout itself; asc kills it only if it overruns that by a margin (≤ 1 minute).
  const startArgs = ['start', '--tty=false', `--timeout=${options.startTimeout}`, instance];

  const start = async (t: AscTaskContext, dir: string) => {
    const state = await limaState(t);
    state.invalidate();
    try {
      await t.exec.run(LIMACTL, startArgs, { timeoutMs: startTimeoutMs + Math.min(60_000, startTimeoutMs) });
    } catch (error) {
      throw new AscError(`the VM ${instance} did not start cleanly: ${(error as Error).message}`, {
        code: 'E_COMMAND_FAILED',
        hint: `see ${startLogs(dir)}; \`limactl list\` shows its status`,
      });
    } finally {
      state.invalidate();
    }
  };

  return [
    {
      id: 'installed',
      title: `limactl ${MIN_VERSION} or newer`,
      phase: 'phase1',
      async check(t) {
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION)) {
          return drift(
            `limactl ${version} is older than ${MIN_VERSION} (asc needs --tty=false and reverse socket forwards)`,
          );
        }
        return ok(`limactl ${version}`);
      },
      async apply(t) {
        const version = await limaVersion(t);
        throw new AscError(`limactl ${version} is too old: asc needs ${MIN_VERSION} or newer`, {
          code: 'E_TOOL_MISSING',
          hint: 'upgrade it with `brew upgrade lima`',
        });
      },
    },
    {
      id: 'instance',
      title: `instance ${instance} exists`,
      phase: 'phase1',
      needs: ['lima.installed'],
      async check(t) {
        const state = await limaState(t);
        if (await state.instance(t, instance)) return ok();
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION_CREATE)) {
          return drift(
            `no instance named ${instance}, and limactl ${version} cannot create it from \`base: ${options.base}\``,
          );
        }
        const spec = creationYaml(t.vm, options.base);
        const file = path.join(limaHome(t), instance, 'lima.yaml');
        return drift(`no instance named ${instance}: it would be created`, await t.files.diff(file, spec));
      },
      async apply(t) {
        const state = await limaState(t);
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION_CREATE)) {
          throw new AscError(
            `limactl ${version} cannot create ${instance}: asc creates it from \`base: ${options.base}\`, which needs Lima ${MIN_VERSION_CREATE} or newer`,
            {
              code: 'E_TOOL_MISSING',
              hint: `upgrade with \`brew upgrade lima\`, or create it yourself (\`limactl create --name=${instance}\`) and run asc again`,
            },
          );
        }
        await withSpecFile(t, creationYaml(t.vm, options.base), async (file) => {
          state.invalidate();
          try {
            // --tty=false: without it, a terminal gets Lima's interactive menu (Lima's docs/usage: pass --tty=false for automation).
            await t.exec.run(LIMACTL, ['create', '--tty=false', `--name=${instance}`, file], {
              timeoutMs: 5 * 60_000,
            });
          } finally {
            state.invalidate();
          }
        });
      },
    },
    {
      id: 'config',
      title: `lima.yaml matches the VM spec`,
      phase: 'phase1',
      needs: ['lima.instance'],
      async check(t) {
        const planned = await plannedConfig(t, instance);
        if (!planned.change) return ok();
        const restart = planned.running ? '; the running VM needs a restart (stop → write → start)' : '';
        return drift(`${planned.change.reasons.join(', ')}${restart}`, planned.change.diff);
      },
      async apply(t) {
        const planned = await plannedConfig(t, instance);
        if (!planned.change) return;
        const { text } = planned.change;
        const validate = (temp: string) => validateLimaYaml(t, temp);
        if (!planned.running) {
          await t.files.write(planned.file, text, { validate });
          return;
        }
        const question = `The VM "${instance}" is running; its new config (${planned.change.reasons.join(', ')}) needs a restart. Stop it, write lima.yaml and start it again?`;
        if (!(await t.confirm(question))) {
          throw new AscError(`the VM "${instance}" is running and its config changed: a restart is needed`, {
            code: 'E_REFUSED',
            hint: `run \`asc run ${t.id} --yes\` to stop, update and start it, or stop it yourself (\`limactl stop ${instance}\`) and run asc again`,
          });
        }
        // Validate before stopping, so a spec Lima rejects never costs a stop.
        await withSpecFile(t, text, validate);
        const state = await limaState(t);
        state.invalidate();
        t.log.info(`stopping ${instance}`);
        await t.exec.run(LIMACTL, ['stop', instance], { timeoutMs: STOP_TIMEOUT_MS });
        state.invalidate();
        await t.files.write(planned.file, text, { validate });
        t.log.info(`starting ${instance}`);
        await start(t, planned.dir);
      },
    },
    {
      id: 'running',
      title: `VM ${instance} runs and answers`,
      phase: 'phase1',
      needs: ['lima.config'],
      async check(t) {
        const found = await (await limaState(t)).instance(t, instance);
        if (!found) return drift(`no instance named ${instance}`);
        if (found.status !== 'Running') return drift(`status is ${found.status || 'unknown'}`);
        // `Running` only means the processes are alive; one guest round trip proves it answers.
        try {
          await t.guest.facts();
        } catch (error) {
          return drift(`status is Running but limactl shell does not answer: ${(error as Error).message}`);
        }
        return ok();
      },
      async apply(t) {
        const found = await (await limaState(t)).instance(t, instance);
        await start(t, found?.dir ?? path.join(limaHome(t), instance));
      },
    },
    {
      id: 'ssh-include',
      title: `~/.ssh/config includes ${hostAlias(instance)}`,
      phase: 'phase1',
      // Not before Lima is there: an Include of a file no Lima will write helps nobody.
      needs: ['lima.installed'],
      async check(t) {
        const { file, target } = sshPaths(t, instance);
        const text = (await t.files.read(file)) ?? '';
        if (hasInclude(text, target)) return ok();
        const owner = await sshConfigOwner(file, target, t.host.env);
        if (!owner.writable) return drift(`${includeLine(target)} is missing, and ${owner.why}`);
        return drift(
          `${includeLine(target)} is missing`,
          await t.files.diff(file, addInclude(text, target, instance)),
        );
      },
      async apply(t) {
        const { file, target } = sshPaths(t, instance);
        const owner = await sshConfigOwner(file, target, t.host.env);
        if (!owner.writable) {
          throw new AscError(`${owner.why}; asc will not write it`, { code: 'E_REFUSED', hint: owner.fix });
        }
        const text = (await t.files.read(file)) ?? '';
        await t.files.write(file, addInclude(text, target, instance), { mode: 0o600 });
      },
    },
    {
      id: 'ssh-reachable',
      title: `ssh ${hostAlias(instance)} works`,
      phase: 'phase1',
      needs: ['lima.running', 'lima.ssh-include'],
      async check(t) {
        const result = await ssh(t, instance);
        if (result.exitCode === 0) return ok();
        return drift(`ssh ${hostAlias(instance)} true exited ${result.exitCode}: ${lastLine(result.stderr)}`);
      },
      async apply(t) {
        const result = await ssh(t, instance);
        if (result.exitCode === 0) return;
        throw new AscError(`ssh ${hostAlias(instance)} does not reach the VM: ${lastLine(result.stderr)}`, {
          code: 'E_COMMAND_FAILED',
          hint: `try \`ssh -v ${hostAlias(instance)} true\`; the VM's port changes at every start, so ~/.ssh/config must Include ${sshPaths(t, instance).target}`,
        });
      },
    },
  ];
}

interface PlannedConfig {
  file: string;
  dir: string;
  running: boolean;
  change: { text: string; reasons: string[]; diff: string | undefined } | undefined;
}

async function plannedConfig(t: AscTaskContext, instance: string): Promise<PlannedConfig> {
  const found: LimaInstance | undefined = await (await limaState(t)).instance(t, instance);
  if (!found) {
    throw new AscError(`no instance named ${instance}`, {
      code: 'E_COMMAND_FAILED',
      hint: 'run `asc run lima.instance`',
    });
  }
  const file = path.join(found.dir, 'lima.yaml');
  const current = await t.files.read(file);
  if (current === undefined) {
    throw new AscError(`${file} does not exist, though limactl lists ${instance}`, {
      code: 'E_FILE',
      hint: `\`limactl list\` shows it as ${found.status}; a Broken instance may need \`limactl delete ${instance}\``,
    });
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = (parse(current) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new AscError(`${file} is not valid YAML: ${(error as Error).message}`, { code: 'E_FILE' });
  }
  const wanted = limaYamlDrift(parsed, t.vm, t.host.home, found);
  const running = found.status === 'Running';
  if (wanted.edits.length === 0) return { file, dir: found.dir, running, change: undefined };
  const text = editYaml(current, wanted.edits);
  if (text === current) return { file, dir: found.dir, running, change: undefined };
  return {
    file,
    dir: found.dir,
    running,
    change: { text, reasons: wanted.reasons, diff: await t.files.diff(file, text) },
  };
}

function sshPaths(t: AscTaskContext, instance: string): { file: string; target: string } {
  return {
    file: path.join(t.host.home, '.ssh', 'config'),
    target: path.join(limaHome(t), instance, 'ssh.config'),
  };
}

/**
 * `ssh -F <home>/.ssh/config lima-<instance> true`: -F because OpenSSH finds `~` through the account
 * database, not $HOME. ControlMaster=no: reuse Lima's master if there is one, never leave a new one behind.
 */
function ssh(t: AscTaskContext, instance: string) {
  const { file } = sshPaths(t, instance);
  return t.exec.query(
    'ssh',
    ['-F', file, '-o', 'ControlMaster=no', '-o', 'ConnectTimeout=15', hostAlias(instance), 'true'],
    {
      timeoutMs: 30_000,
      okCodes: Array.from({ length: 256 }, (_, code) => code),
    },
  );
}

/** `limactl validate` on a file; its fatal message says what Lima rejects. */
async function validateLimaYaml(t: AscTaskContext, file: string): Promise<void> {
  await t.exec.query(LIMACTL, ['validate', file], { timeoutMs: 60_000 });
}

/** A spec in a private temp folder (limactl create and validate read a path), removed afterwards. */
async function withSpecFile(
  t: AscTaskContext,
  text: string,
  use: (file: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(t.host.env.TMPDIR || tmpdir(), 'asc-lima-'));
  try {
    const file = path.join(dir, 'lima.yaml');
    await writeFile(file, text, { mode: 0o600 });
    await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
