import path from 'node:path';
import { AscError, type AscTaskContext, displayPath } from '../../src/index.ts';

/** What a file needs: its new text, and why (empty `changes` when it is right already). */
export interface LuaPlan {
  text: string;
  /** One line per change; empty when the file is already right. */
  changes: string[];
  /** What is right already, for `--verbose` and doctor. */
  found: string[];
}

/** One of the Lua files the options name. */
export interface LuaFile {
  /** The option that names it, for messages: `plugins.wezterm.configFile`. */
  option: string;
  /** The path as the user wrote it. */
  written: string;
  /** Absolute, `~` expanded. */
  path: string;
  /** `~/…` for messages. */
  shown: string;
}

/** `~` is the user's home (`t.host.home`); a relative path is from the config file's folder. */
export function luaFile(t: AscTaskContext, option: string, written: string): LuaFile {
  return resolveLuaFile(t.host.home, t.config.dir, option, written);
}

export function resolveLuaFile(home: string, dir: string, option: string, written: string): LuaFile {
  const expanded = written.replace(/^~(?=\/|$)/, home);
  const absolute = path.resolve(dir, expanded);
  return { option: `plugins.wezterm.${option}`, written, path: absolute, shown: displayPath(absolute, home) };
}

/** The file's text; a missing file, a folder, or a Nix store file is an error that names the option. */
export async function readLuaFile(t: AscTaskContext, file: LuaFile): Promise<string> {
  let text: string | undefined;
  try {
    text = await t.files.read(file.path);
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EISDIR') {
      throw new AscError(`${file.option} is a folder, not a Lua file: ${file.shown}`, {
        code: 'E_FILE',
        hint: `name the .lua file in it that WezTerm reads, e.g. ${file.written.replace(/\/$/, '')}/wezterm.lua`,
      });
    }
    throw error;
  }
  if (text === undefined) {
    throw new AscError(`${file.option} names ${file.shown}, which does not exist`, {
      code: 'E_FILE',
      hint: `set ${file.option} in your asc config to the Lua file of your WezTerm config (the source in your repo, not a copy Nix deployed)`,
    });
  }
  return text;
}

/**
 * asc edits the source of the user's config, never a deployed copy: a link into the Nix store
 * ($NIX_STORE_DIR, default /nix/store) is home-manager's output, read-only, and replaced at the next switch.
 */
export async function refuseNixStore(t: AscTaskContext, file: LuaFile): Promise<void> {
  const store = path.resolve(t.host.env.NIX_STORE_DIR || '/nix/store');
  const target = (await t.files.realpath(file.path)) ?? file.path;
  if (target === store || target.startsWith(`${store}/`)) {
    throw new AscError(`${file.option} names ${file.shown}, a link into the Nix store (${target})`, {
      code: 'E_REFUSED',
      hint: `point ${file.option} at the source file in your repo (the one home-manager copies), so asc edits what you commit`,
    });
  }
}

/** What a task found in its file: the file, and the plan to make it right. */
export interface FilePlan {
  file: LuaFile;
  current: string;
  plan: LuaPlan;
}

export async function planFile(
  t: AscTaskContext,
  file: LuaFile,
  planText: (text: string, shown: string) => Promise<LuaPlan>,
): Promise<FilePlan> {
  const current = await readLuaFile(t, file);
  const plan = await planText(current, file.shown);
  return { file, current, plan };
}

/**
 * Write a planned file. The validator parses the new text again and plans once more: the file must
 * parse and need nothing further, or nothing is written.
 */
export async function writePlan(
  t: AscTaskContext,
  { file, plan }: FilePlan,
  planText: (text: string, shown: string) => Promise<LuaPlan>,
): Promise<void> {
  await refuseNixStore(t, file);
  const { backup } = await t.files.write(file.path, plan.text, {
    validate: async (temp) => {
      const written = (await t.files.read(temp)) ?? '';
      const again = await planText(written, file.shown);
      if (again.changes.length > 0) {
        throw new AscError(`the edited ${file.shown} still needs: ${again.changes.join('; ')}`, {
          code: 'E_VALIDATE',
          hint: 'this is a bug in asc: the file was left as it was; please report it with the file',
        });
      }
    },
  });
  if (backup) t.log.debug(`the old ${file.shown} is in ${backup}`);
}
