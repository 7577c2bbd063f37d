import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext, expectIdempotent, type TestContext } from '../../src/testing.ts';
import { weztermOptions } from './options.ts';
import { weztermTasks, weztermUninstall } from './tasks.ts';

const CONFIG =
  'local wezterm = require("wezterm")\r\nlocal config = wezterm.config_builder()\r\n\treturn config\r\n';

/** A Mac whose WezTerm config is ~/.config/wezterm/wezterm.lua; `sh` answers as for files this user may write. */
async function mac(): Promise<{ t: TestContext; main: string; module: string }> {
  const t = await createTestContext({
    exec: ([file, ...args]) =>
      file === 'sh'
        ? {
            stdout: args
              .slice(3)
              .map((p) => `w\t${p}\n`)
              .join(''),
          }
        : undefined,
  });
  const main = path.join(t.host.home, '.config/wezterm/wezterm.lua');
  await t.files.write(main, CONFIG);
  return { t, main, module: path.join(t.host.home, '.config/wezterm/ascalon.lua') };
}

const ctx = (instance = 'default') => ({
  config: { instance, file: undefined, dir: '/' },
  home: '/',
  vm: {} as never,
});
const task = (options: object = {}) => weztermTasks(weztermOptions.parse(options), ctx())[0]!;
const read = (file: string) => readFile(file, 'utf8').catch(() => undefined);

/** Make every write of `file` fail, as a full disk or a folder turned read-only would. */
function failWrites(t: TestContext, file: string): void {
  const write = t.files.write.bind(t.files);
  t.files.write = async (target, content, options) => {
    if (target === file) throw new Error(`EIO: i/o error, write '${file}'`);
    return write(target, content, options);
  };
}

describe('wezterm.config', () => {
  it('is idempotent: the module and the one edit, then ok in run and plan mode', async () => {
    const { t, main } = await mac();
    const { reason } = await expectIdempotent(task(), t);
    expect(reason).toBe(
      '~/.config/wezterm/ascalon.lua is written; ~/.config/wezterm/wezterm.lua:3: its final return becomes a call of ascalon.lua',
    );
    expect(await read(main)).toBe(CONFIG.replace('return config', 'return require("ascalon")(config)'));
  });

  it('all or nothing: when the main file cannot be written, the new module is taken away again', async () => {
    const { t, main, module } = await mac();
    failWrites(t, main);
    await expect(task().apply(t)).rejects.toThrow(/EIO/);
    expect(await read(main)).toBe(CONFIG);
    expect(await read(module)).toBeUndefined();
  });

  it('all or nothing: an out-of-date module comes back as it was when the main file fails', async () => {
    const { t, main, module } = await mac();
    await task().apply(t);
    const old = await read(module);
    // The user undid the edit by hand, and the domain changes: both files drift.
    await writeFile(main, CONFIG);
    failWrites(t, main);
    await expect(task({ domain: 'nostromo' }).apply(t)).rejects.toThrow(/EIO/);
    expect(await read(module)).toBe(old);
    expect(await read(main)).toBe(CONFIG);
  });

  it('uninstall gives the main file back byte for byte and removes the module; again: nothing to do', async () => {
    const { t, main, module } = await mac();
    await task().apply(t);
    const [undo] = weztermUninstall(weztermOptions.parse({}));
    expect(await undo!.check(t)).toMatchObject({ converged: false });
    await undo!.apply(t);
    expect(await read(main)).toBe(CONFIG);
    expect(await read(module)).toBeUndefined();
    expect(await undo!.check(t)).toMatchObject({ converged: true });
  });
});
