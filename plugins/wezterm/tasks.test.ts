import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AscPluginContext, type AscTask, createVmSpec } from '../../src/index.ts';
import { createTestContext, expectIdempotent, type FakeCommands } from '../../src/testing.ts';
import { ROOT } from '../../test/harness/sandbox.ts';
import { weztermDoctor } from './doctor.ts';
import { weztermPlugin } from './index.ts';
import { weztermOptions } from './options.ts';
import { weztermHandlers, weztermTasks } from './tasks.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures/wezterm');
const PKG = 'github/sysinit/modules/darwin/home/wezterm/lua/sysinit/pkg';

async function setup(files: Record<string, string>, exec?: FakeCommands) {
  const t = await createTestContext({ exec });
  for (const [relative, fixture] of Object.entries(files)) {
    const file = path.join(t.host.home, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, await readFile(path.join(FIXTURES, fixture), 'utf8'), { mode: 0o640 });
  }
  return t;
}

/** What the plugin's hooks get; the tasks resolve their files against the task context's home. */
const pluginContext = (instance = 'default'): AscPluginContext => ({
  config: { instance, file: undefined, dir: '/Users/dev/sysinit' },
  home: '/Users/dev',
  vm: createVmSpec(),
});

const task = (tasks: AscTask[], id: string) => tasks.find((candidate) => candidate.id === id)!;

describe('the wezterm tasks', () => {
  const sysinit = weztermOptions.parse({
    configFile: `~/${PKG}/core.lua`,
    keysFile: `~/${PKG}/keybindings.lua`,
    deploy: 'task nix:refresh:work',
  });

  it('converge the sysinit files, keep their mode, back them up, and stay converged in plan mode', async () => {
    const t = await setup({
      [`${PKG}/core.lua`]: 'sysinit-core.lua',
      [`${PKG}/keybindings.lua`]: 'keybindings-module.lua',
    });
    const tasks = weztermTasks(sysinit, pluginContext());
    expect(tasks.map((candidate) => [candidate.id, candidate.needs, candidate.notify])).toEqual([
      ['ssh-domain', ['lima.ssh-include'], ['wezterm.deploy']],
      ['keys', ['lima.ssh-include'], ['wezterm.deploy']],
    ]);
    // One file for both: the keys task waits for the domain task, so the two never write it at once.
    const one = weztermTasks(
      weztermOptions.parse({ configFile: '~/w.lua', keysFile: '/Users/dev/w.lua' }),
      pluginContext(),
    );
    expect(one[1]?.needs).toEqual(['wezterm.ssh-domain']);
    expect(weztermTasks(weztermOptions.parse({}), pluginContext())[1]?.needs).toEqual(['wezterm.ssh-domain']);
    const domain = await expectIdempotent(task(tasks, 'ssh-domain'), t);
    expect(domain.reason).toBe('ascalon: remote_address "127.0.0.1:62068" → "lima-default" (line 18)');
    const keys = await expectIdempotent(task(tasks, 'keys'), t);
    expect(keys.reason).toMatch(/^CMD\+SHIFT\+T: act\.SpawnTab 'DefaultDomain' → /);
    const core = path.join(t.host.home, PKG, 'core.lua');
    expect((await stat(core)).mode & 0o777).toBe(0o640);
    expect(await readFile(core, 'utf8')).toContain(
      'remote_address = "lima-default", -- the port Lima printed last time',
    );
    const backup = path.join(t.host.home, '.local/state/asc/backups/test', core);
    expect(await readFile(backup, 'utf8')).toContain('127.0.0.1:62068');
    expect(t.commands).toEqual([]);
    const ok = await task(tasks, 'keys').check(t.withMode(true));
    expect(ok).toMatchObject({
      converged: true,
      reason: expect.stringContaining('CMD+S → ShowLauncherArgs'),
    });
  });

  it('the instance name decides the alias, as Lima writes it: dots and underscores become dashes', async () => {
    const t = await setup({ 'wezterm.lua': 'config-builder.lua' });
    const options = weztermOptions.parse({ configFile: '~/wezterm.lua' });
    const result = await task(weztermTasks(options, pluginContext('dev_box.2')), 'ssh-domain').check(t);
    expect(result).toMatchObject({
      converged: false,
      reason:
        'ascalon: remote_address "lima-default" → "lima-dev-box-2" (line 10); ascalon: multiplexing "WezTerm" → "None" (line 11)',
    });
    expect((result as { diff: string }).diff).toContain('--- ~/wezterm.lua');
  });

  it('a configFile that does not exist, or is a folder: an error naming the option and the path', async () => {
    const t = await setup({});
    await mkdir(path.join(t.host.home, '.config/wezterm'), { recursive: true });
    const missing = weztermTasks(weztermOptions.parse({ configFile: '~/nope/wezterm.lua' }), pluginContext());
    await expect(task(missing, 'ssh-domain').check(t)).rejects.toMatchObject({
      code: 'E_FILE',
      message: 'plugins.wezterm.configFile names ~/nope/wezterm.lua, which does not exist',
    });
    const folder = weztermTasks(weztermOptions.parse({ configFile: '~/.config/wezterm' }), pluginContext());
    await expect(task(folder, 'ssh-domain').check(t)).rejects.toMatchObject({
      code: 'E_FILE',
      message: 'plugins.wezterm.configFile is a folder, not a Lua file: ~/.config/wezterm',
      hint: 'name the .lua file in it that WezTerm reads, e.g. ~/.config/wezterm/wezterm.lua',
    });
    const keys = weztermTasks(
      weztermOptions.parse({ configFile: '~/.config/wezterm', keysFile: 'keys.lua' }),
      pluginContext(),
    );
    await expect(task(keys, 'keys').check(t)).rejects.toThrow(
      'plugins.wezterm.keysFile names ~/keys.lua, which does not exist',
    );
  });

  it('a file that does not parse is left alone: the error names the file and the line', async () => {
    const t = await setup({ 'wezterm.lua': 'config-builder.lua' });
    const file = path.join(t.host.home, 'wezterm.lua');
    const broken = (await readFile(file, 'utf8')).replace(
      'config.font_size = 14.0',
      'config.font_size = = 14.0',
    );
    await writeFile(file, broken);
    const tasks = weztermTasks(weztermOptions.parse({ configFile: '~/wezterm.lua' }), pluginContext());
    await expect(task(tasks, 'ssh-domain').check(t)).rejects.toThrow(/^~\/wezterm\.lua:4:\d+: not valid Lua/);
    await expect(task(tasks, 'ssh-domain').apply(t)).rejects.toThrow(/^~\/wezterm\.lua:4:/);
    expect(await readFile(file, 'utf8')).toBe(broken);
  });

  it('a link into the Nix store is not edited: asc says to point the option at the source', async () => {
    const t = await createTestContext({ env: {} });
    const store = path.join(t.host.home, 'store');
    const t2 = await createTestContext({ home: t.host.home, env: { NIX_STORE_DIR: store } });
    await mkdir(path.join(store, 'abc-home-manager-files'), { recursive: true });
    const target = path.join(store, 'abc-home-manager-files/wezterm.lua');
    await writeFile(target, await readFile(path.join(FIXTURES, 'config-builder.lua'), 'utf8'));
    await symlink(target, path.join(t.host.home, 'wezterm.lua'));
    const tasks = weztermTasks(weztermOptions.parse({ configFile: '~/wezterm.lua' }), pluginContext());
    await expect(task(tasks, 'ssh-domain').check(t2)).rejects.toMatchObject({
      code: 'E_REFUSED',
      message: `plugins.wezterm.configFile names ~/wezterm.lua, a link into the Nix store (${target})`,
    });
  });

  it('without deploy, no handler and nothing to notify; keys: false makes no keys task', () => {
    const options = weztermOptions.parse({ keys: false });
    expect(
      weztermTasks(options, pluginContext()).map((candidate) => [candidate.id, candidate.notify]),
    ).toEqual([['ssh-domain', []]]);
    expect(weztermHandlers(options)).toEqual([]);
    expect(
      weztermPlugin
        .handlers?.(sysinit, {
          config: { instance: 'default', file: undefined, dir: '/' },
          home: '/',
          vm: {} as never,
        })
        ?.map((h) => h.id),
    ).toEqual(['deploy']);
  });
});

describe('the deploy handler', () => {
  const options = weztermOptions.parse({
    configFile: '~/sysinit/wezterm/core.lua',
    deploy: 'task nix:refresh:work && echo done',
    deployTimeout: '15m',
  });

  it("runs the deploy line with sh -c in the config file's folder, its output under the handler", async () => {
    const seen: { argv: readonly string[]; cwd?: string; timeoutMs?: number }[] = [];
    const t = await createTestContext({
      exec: (argv, opts) => {
        seen.push({ argv, cwd: opts.cwd, timeoutMs: opts.timeoutMs });
        return { stdout: 'building home-manager\nactivating', stderr: 'warning: dirty tree' };
      },
    });
    await weztermHandlers(options)[0]!.run(t);
    expect(seen).toEqual([
      {
        argv: ['sh', '-c', 'task nix:refresh:work && echo done'],
        cwd: path.join(t.host.home, 'sysinit/wezterm'),
        timeoutMs: 15 * 60_000,
      },
    ]);
    expect(t.commands[0]?.mutating).toBe(true);
    expect(t.logs).toEqual(['info: building home-manager', 'info: activating', 'info: warning: dirty tree']);
  });

  it('a failing deploy fails the handler, after showing its output', async () => {
    const t = await createTestContext({ exec: () => ({ stdout: 'error: flake not found', exitCode: 2 }) });
    await expect(weztermHandlers(options)[0]!.run(t)).rejects.toMatchObject({
      code: 'E_COMMAND_FAILED',
      message: 'the deploy command exited 2: task nix:refresh:work && echo done',
    });
    expect(t.logs).toEqual(['info: error: flake not found']);
  });
});

describe('the doctor rows', () => {
  const options = weztermOptions.parse({ configFile: '~/wezterm.lua' });

  it('ok on a converged file', async () => {
    const t = await setup({ 'wezterm.lua': 'config-builder.lua' });
    const tasks = weztermTasks(options, pluginContext());
    await tasks[0]!.apply(t);
    await tasks[1]!.apply(t);
    const rows = weztermDoctor(options, 'default');
    const findings = await Promise.all(rows.map((row) => row.run(t.withMode(true))));
    expect(rows.map((row) => row.title)).toEqual([
      'WezTerm domain ascalon points at lima-default with multiplexing None',
      'WezTerm binds CMD+S, CMD+SHIFT+T, CTRL+SHIFT+T once each',
    ]);
    expect(findings).toEqual([
      { status: 'ok', message: 'ascalon → lima-default, multiplexing None (line 8)' },
      {
        status: 'ok',
        message:
          'CMD+S → ShowLauncherArgs { flags = "FUZZY|DOMAINS" } (line 19); CMD+SHIFT+T → SpawnTab { DomainName = "ascalon" } (line 20); CTRL+SHIFT+T → SpawnTab { DomainName = "ascalon" } (line 21)',
      },
    ]);
  });

  it('fail with the exact fix: the command, or the lines to set by hand', async () => {
    const t = await setup({ 'wezterm.lua': 'config-builder.lua' });
    const [domain, keys] = await Promise.all(
      weztermDoctor(options, 'default').map((row) => row.run(t.withMode(true))),
    );
    expect(domain).toEqual({
      status: 'fail',
      message: '~/wezterm.lua: ascalon: multiplexing "WezTerm" → "None" (line 11)',
      fix: 'run `asc run wezterm.ssh-domain`, or set by hand in the ssh_domains entry named ascalon in ~/wezterm.lua:\n  remote_address = "lima-default",\n  multiplexing = "None",',
    });
    expect(keys?.status).toBe('fail');
    expect(keys?.fix).toContain(
      'run `asc run wezterm.keys`, or set by hand in the keys table of ~/wezterm.lua',
    );
    expect(keys?.fix).toContain(
      '{ key = "t", mods = "CMD|SHIFT", action = wezterm.action.SpawnTab { DomainName = "ascalon" } },',
    );
  });

  it('fail with the file problem as the message and its hint as the fix', async () => {
    const t = await setup({ 'wezterm.lua': 'computed-keys.lua' });
    const [domain, keys] = await Promise.all(
      weztermDoctor(options, 'default').map((row) => row.run(t.withMode(true))),
    );
    expect(domain).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^~\/wezterm\.lua sets no ssh_domains/),
    });
    expect(keys).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^asc cannot follow the keys set at ~\/wezterm\.lua:35/),
      fix: expect.stringContaining('table.insert(config.keys, { key = "s", mods = "CMD"'),
    });
    const missing = await weztermDoctor(
      weztermOptions.parse({ configFile: '~/none.lua' }),
      'default',
    )[0]!.run(t);
    expect(missing).toMatchObject({
      status: 'fail',
      message: 'plugins.wezterm.configFile names ~/none.lua, which does not exist',
    });
  });
});
