import path from 'node:path';
import { AscError, type AscTaskContext } from '../../src/index.ts';
import {
  access,
  CONFIG_OPTION,
  inNixStore,
  type LuaFile,
  mainFile,
  moduleFile,
  readMain,
} from './lua-files.ts';
import { withLuaTree } from './lua-tree.ts';
import { planMain, unwrapMain } from './main-return.ts';
import { MODULE_MARK, renderModule } from './module.ts';
import type { WeztermOptions } from './options.ts';
import { moduleSpec } from './spec.ts';

/** What the task would write: each file's text after, undefined where that file is right already. */
export interface ConfigPlan {
  main: LuaFile;
  module: LuaFile;
  mainAfter: string | undefined;
  moduleBefore: string | undefined;
  moduleAfter: string | undefined;
  /** One line per change; empty when both files are right. */
  changes: string[];
  found: string[];
}

/** `ascalon.lua` as it is, when asc wrote it; a file of that name asc did not write is an error. */
async function readModule(t: AscTaskContext, module: LuaFile): Promise<string | undefined> {
  const text = await t.files.read(module.path);
  if (text !== undefined && !text.startsWith(MODULE_MARK)) {
    throw new AscError(
      `${module.shown} exists and asc did not write it (it lacks asc's first line); asc changed nothing`,
      {
        code: 'E_REFUSED',
        hint: `asc owns the module name ascalon: rename your ${path.basename(module.path)} (and the require calls that load it), then run asc again`,
      },
    );
  }
  return text;
}

/**
 * Plan the plugin's one change: `ascalon.lua` written whole, and the main config file's final return
 * made a call of it. Every reason to refuse is found here, before anything is written: a main file asc
 * cannot edit safely, or may not write (read-only, in the Nix store), or a module folder it may not write.
 */
export async function planConfig(t: AscTaskContext, options: WeztermOptions): Promise<ConfigPlan> {
  const main = await mainFile(t, options.configFile);
  const module = moduleFile(t);
  const mainPlan = await planMain(await readMain(t, main), main.shown, CONFIG_OPTION);
  const moduleBefore = await readModule(t, module);
  const text = renderModule(moduleSpec(options, t.config.instance));
  const plan: ConfigPlan = {
    main,
    module,
    mainAfter: mainPlan.state === 'wrap' ? mainPlan.text : undefined,
    moduleBefore,
    moduleAfter: moduleBefore === text ? undefined : text,
    changes: [],
    found: [],
  };
  if (moduleBefore === undefined) plan.changes.push(`${module.shown} is written`);
  else if (plan.moduleAfter !== undefined) plan.changes.push(`${module.shown} is out of date: rewritten`);
  else plan.found.push(`${module.shown} is current`);
  if (mainPlan.state === 'wrap') {
    plan.changes.push(`${main.shown}:${mainPlan.line}: its final return becomes a call of ascalon.lua`);
  } else plan.found.push(`${main.shown}:${mainPlan.line} returns through ascalon.lua`);
  if (plan.changes.length === 0) return plan;

  const [mainAccess, moduleAccess] = await access(t, [main.path, module.path]);
  if (mainPlan.state === 'wrap' && mainAccess && (!mainAccess.writable || inNixStore(t, mainAccess.real))) {
    const why = inNixStore(t, mainAccess.real)
      ? `a link into the Nix store (${mainAccess.real})`
      : 'read-only';
    throw new AscError(`${main.shown} is ${why}: asc may not write it, and changed nothing`, {
      code: 'E_REFUSED',
      hint: `make this one edit in its source (in your repo), deploy it, and run asc again (it then writes only ${module.shown}):\n${mainPlan.byHand.replace(/^/gm, '  ')}\nor set ${CONFIG_OPTION} to that source file`,
    });
  }
  if (
    plan.moduleAfter !== undefined &&
    moduleAccess &&
    (!moduleAccess.writable || inNixStore(t, moduleAccess.real))
  ) {
    const folder = path.dirname(module.shown);
    throw new AscError(
      `${folder} is read-only (${moduleAccess.real}): asc cannot write ${module.shown}, and changed nothing`,
      {
        code: 'E_REFUSED',
        hint: `WezTerm finds modules in ${folder}; when home-manager links that whole folder, link its files one by one instead (xdg.configFile."wezterm/wezterm.lua"), so asc can add ${path.basename(module.path)} beside them`,
      },
    );
  }
  return plan;
}

/** Write the plan, module first; when the main file fails, the module goes back as it was: all or nothing. */
export async function writeConfig(t: AscTaskContext, plan: ConfigPlan): Promise<void> {
  const { main, module } = plan;
  if (plan.moduleAfter !== undefined) {
    await t.files.write(module.path, plan.moduleAfter, {
      validate: async (temp) => {
        await withLuaTree((await t.files.read(temp)) ?? '', module.shown, () => undefined);
      },
    });
  }
  if (plan.mainAfter === undefined) return;
  try {
    await t.files.write(main.path, plan.mainAfter, {
      validate: async (temp) => {
        const again = await planMain((await t.files.read(temp)) ?? '', main.shown, CONFIG_OPTION);
        if (again.state !== 'wrapped') {
          throw new AscError(`the edited ${main.shown} does not return through ascalon.lua`, {
            code: 'E_VALIDATE',
            hint: 'this is a bug in asc: the file was left as it was; please report it with the file',
          });
        }
      },
    });
  } catch (error) {
    if (plan.moduleAfter !== undefined) {
      if (plan.moduleBefore === undefined) await t.files.remove(module.path);
      else await t.files.write(module.path, plan.moduleBefore);
    }
    throw error;
  }
}

/** What `asc uninstall` undoes: the main file's return as it was, and the module gone. */
export interface RemovalPlan {
  main: LuaFile;
  module: LuaFile;
  mainAfter: string | undefined;
  removeModule: boolean;
  changes: string[];
}

export async function planRemoval(t: AscTaskContext, options: WeztermOptions): Promise<RemovalPlan> {
  const main = await mainFile(t, options.configFile);
  const module = moduleFile(t);
  const text = await t.files.read(main.path).catch(() => undefined);
  const unwrapped = text === undefined ? undefined : await unwrapMain(text, main.shown);
  const moduleText = await t.files.read(module.path);
  const plan: RemovalPlan = {
    main,
    module,
    mainAfter: unwrapped?.text,
    removeModule: moduleText?.startsWith(MODULE_MARK) ?? false,
    changes: [],
  };
  if (unwrapped)
    plan.changes.push(`${main.shown}:${unwrapped.lines.join(', ')}: the return no longer calls ascalon.lua`);
  if (plan.removeModule) plan.changes.push(`${module.shown} is removed`);
  if (unwrapped) {
    const [found] = await access(t, [main.path]);
    if (found && (!found.writable || inNixStore(t, found.real))) {
      throw new AscError(
        `${main.shown} is read-only (${found.real}): asc cannot take its call of ascalon.lua out, and changed nothing`,
        {
          code: 'E_REFUSED',
          hint: `in its source, write the return${unwrapped.lines.length > 1 ? 's' : ''} at line ${unwrapped.lines.join(', ')} without \`require("ascalon")(…)\`, deploy, then run asc uninstall again`,
        },
      );
    }
  }
  return plan;
}

export async function writeRemoval(t: AscTaskContext, plan: RemovalPlan): Promise<void> {
  if (plan.mainAfter !== undefined) await t.files.write(plan.main.path, plan.mainAfter);
  if (plan.removeModule) await t.files.remove(plan.module.path);
}
