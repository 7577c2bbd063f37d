import nodePath from 'node:path';
import {
  AscError,
  type AscHandler,
  type AscPluginContext,
  type AscTask,
  drift,
  ok,
  parseDuration,
} from '../../src/index.ts';
import { hostAlias } from '../lima/limactl.ts';
import { mainFile } from './lua-files.ts';
import type { WeztermOptions } from './options.ts';
import {
  type ConfigPlan,
  planConfig,
  planRemoval,
  type RemovalPlan,
  writeConfig,
  writeRemoval,
} from './plan.ts';
import { wantedBindings } from './spec.ts';

const ANY_EXIT = Array.from({ length: 256 }, (_, code) => code);
export const DEPLOY_HANDLER = 'wezterm.deploy';

/** `WezTerm loads ascalon.lua: domain ascalon → lima-default, keys CMD+S, …`. */
export function configTitle(options: WeztermOptions, instance: string): string {
  const keys = wantedBindings(options).map((want) => want.label);
  return `WezTerm loads ascalon.lua: domain ${options.domain} → ${hostAlias(instance)}${keys.length > 0 ? `, keys ${keys.join(', ')}` : ''}`;
}

async function diffs(
  t: Parameters<AscTask['check']>[0],
  plan: ConfigPlan | RemovalPlan,
): Promise<string | undefined> {
  const module = 'moduleAfter' in plan ? plan.moduleAfter : plan.removeModule ? null : undefined;
  const parts = [
    module === undefined ? undefined : await t.files.diff(plan.module.path, module ?? undefined),
    plan.mainAfter === undefined ? undefined : await t.files.diff(plan.main.path, plan.mainAfter),
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/**
 * One task, one decision: `ascalon.lua` written whole and the main config's final return made a call of
 * it, both or neither. The alias the domain names resolves only through the Include lima.ssh-include adds.
 */
export function weztermTasks(options: WeztermOptions, ctx: AscPluginContext): AscTask[] {
  return [
    {
      id: 'config',
      title: configTitle(options, ctx.config.instance),
      phase: 'phase1',
      needs: ['lima.ssh-include'],
      notify: options.deploy ? [DEPLOY_HANDLER] : [],
      async check(t) {
        const plan = await planConfig(t, options);
        if (plan.changes.length === 0) return ok(plan.found.join('; '));
        return drift(plan.changes.join('; '), await diffs(t, plan));
      },
      async apply(t) {
        const plan = await planConfig(t, options);
        if (plan.changes.length > 0) await writeConfig(t, plan);
      },
    },
  ];
}

/** `asc uninstall`: the main file's return as it was before asc, byte for byte, and ascalon.lua gone. */
export function weztermUninstall(options: WeztermOptions): AscTask[] {
  return [
    {
      id: 'config',
      title: 'WezTerm config without ascalon.lua',
      async check(t) {
        const plan = await planRemoval(t, options);
        if (plan.changes.length === 0) return ok();
        return drift(plan.changes.join('; '), await diffs(t, plan));
      },
      async apply(t) {
        const plan = await planRemoval(t, options);
        await writeRemoval(t, plan);
        return plan.changes.join('; ') || undefined;
      },
    },
  ];
}

/**
 * `deploy`: the user's own shell line (like a user task), run once after asc changed a Lua file, in the
 * main config file's folder, its output shown under the handler. It fails the run when it fails.
 */
export function weztermHandlers(options: WeztermOptions): AscHandler[] {
  const deploy = options.deploy;
  if (!deploy) return [];
  const timeoutMs = parseDuration(options.deployTimeout);
  return [
    {
      id: 'deploy',
      title: `Deploy the WezTerm config: ${deploy}`,
      async run(t) {
        const cwd = nodePath.dirname((await mainFile(t, options.configFile)).path);
        const result = await t.exec.run('sh', ['-c', deploy], { cwd, timeoutMs, okCodes: ANY_EXIT });
        for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) {
          if (line.trim() !== '') t.log.info(line);
        }
        if (result.exitCode !== 0) {
          throw new AscError(`the deploy command exited ${result.exitCode}: ${deploy}`, {
            code: 'E_COMMAND_FAILED',
            hint: `its output is above; fix it, then run \`${deploy}\` in ${cwd}`,
          });
        }
      },
    },
  ];
}
