import nodePath from 'node:path';
import {
  AscError,
  type AscHandler,
  type AscPluginContext,
  type AscTask,
  type AscTaskContext,
  drift,
  ok,
  parseDuration,
} from '../../src/index.ts';
import { hostAlias } from '../lima/api.ts';
import { planKeys } from './key-bindings.ts';
import { type LuaFile, luaFile, planFile, refuseNixStore, resolveLuaFile, writePlan } from './lua-files.ts';
import { type WeztermOptions, wantedBindings } from './options.ts';
import { planSshDomain } from './ssh-domain.ts';

const ANY_EXIT = Array.from({ length: 256 }, (_, code) => code);
export const DEPLOY_HANDLER = 'wezterm.deploy';

/** The two Lua files, resolved for this run. */
export function weztermFiles(t: AscTaskContext, options: WeztermOptions): { config: LuaFile; keys: LuaFile } {
  return {
    config: luaFile(t, 'configFile', options.configFile),
    keys: options.keysFile
      ? luaFile(t, 'keysFile', options.keysFile)
      : luaFile(t, 'configFile', options.configFile),
  };
}

/** Plans the text of each file against the options: shared by the tasks and the doctor rows. */
export function planners(options: WeztermOptions, instance: string) {
  const want = { name: options.domain, remoteAddress: hostAlias(instance) };
  const keys = wantedBindings(options);
  return {
    domain: (text: string, shown: string) => planSshDomain(text, shown, want),
    keys: (text: string, shown: string) => planKeys(text, shown, keys),
    want,
    wantedKeys: keys,
  };
}

export function weztermTasks(options: WeztermOptions, ctx: AscPluginContext): AscTask[] {
  const plan = planners(options, ctx.config.instance);
  const path = (option: string, written: string) =>
    resolveLuaFile(ctx.home, ctx.config.dir, option, written).path;
  // Both tasks edit the one file when keysFile is left out (or names it): one after the other then.
  const sameFile =
    options.keysFile === undefined ||
    path('keysFile', options.keysFile) === path('configFile', options.configFile);
  const notify = options.deploy ? [DEPLOY_HANDLER] : [];
  /** A task that keeps one Lua file as `planner` wants it: the shape both of the plugin's tasks share. */
  const luaTask = (
    id: string,
    title: string,
    needs: string[],
    file: 'config' | 'keys',
    planner: typeof plan.domain,
  ): AscTask => ({
    id,
    title,
    phase: 'phase1',
    needs,
    notify,
    async check(t) {
      const found = await planFile(t, weztermFiles(t, options)[file], planner);
      if (found.plan.changes.length === 0) return ok(found.plan.found.join('; '));
      await refuseNixStore(t, found.file);
      return drift(found.plan.changes.join('; '), await t.files.diff(found.file.path, found.plan.text));
    },
    async apply(t) {
      const found = await planFile(t, weztermFiles(t, options)[file], planner);
      if (found.plan.changes.length > 0) await writePlan(t, found, planner);
    },
  });
  // The alias resolves only through the Include in ~/.ssh/config that lima.ssh-include adds.
  const tasks = [
    luaTask(
      'ssh-domain',
      `WezTerm domain ${options.domain} → ${plan.want.remoteAddress}`,
      ['lima.ssh-include'],
      'config',
      plan.domain,
    ),
  ];
  if (plan.wantedKeys.length > 0) {
    tasks.push(
      luaTask(
        'keys',
        `WezTerm keys ${plan.wantedKeys.map((want) => want.label).join(', ')}`,
        sameFile ? ['wezterm.ssh-domain'] : ['lima.ssh-include'],
        'keys',
        plan.keys,
      ),
    );
  }
  return tasks;
}

/**
 * `deploy`: the user's own shell line (like a user task), run once after a Lua file changed, in the
 * config file's folder, its output shown under the handler. It fails the run when it fails.
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
        const cwd = nodePath.dirname(luaFile(t, 'configFile', options.configFile).path);
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
