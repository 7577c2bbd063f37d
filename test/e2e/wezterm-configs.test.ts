// Every WezTerm config we have, real (../shared/fixtures/wezterm-configs, read in place) and our own, put
// where WezTerm finds it on a simulated Mac: `asc run wezterm` converges it, the config WezTerm would get
// (a real Lua 5.4 VM with the wezterm stub) has the domain once and each binding once, and nothing else
// changed; a second run changes no byte, plan exits 0, and `asc uninstall --yes` gives every file back.
// Without /usr/sbin/sshd these tests skip, except in CI where they fail.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import {
  bindingsByKeys,
  type EvaluatedConfig,
  evaluateWezTermConfig,
  SSH_HOSTS,
} from '../harness/wezterm-lua.ts';
import {
  type ConfigSet,
  ownSets,
  REAL_DIR,
  realFixturesAvailable,
  realSets,
} from '../harness/wezterm-sets.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const skip =
  skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server') ||
  skipUnless(realFixturesAvailable, REAL_DIR, 'the shared fixtures beside the repository');

const OURS = { name: 'ascalon', remote_address: 'lima-default', multiplexing: 'None' };
const COMBOS: Record<string, unknown> = {
  's SUPER': { action: 'ShowLauncherArgs', arg: { flags: 'FUZZY|DOMAINS' } },
  'T SUPER': { action: 'SpawnTab', arg: { DomainName: 'ascalon' } },
  'T CTRL': { action: 'SpawnTab', arg: { DomainName: 'ascalon' } },
};
const MODULE = '.config/wezterm/ascalon.lua';

/** What WezTerm would get from the set as it is in the sandbox now. */
async function evaluate(sandbox: Sandbox, set: ConfigSet): Promise<EvaluatedConfig> {
  const modules: Record<string, string> = { ...set.stubs };
  for (const module of set.modules) modules[module.requireName!] = await sandbox.read(module.installedAs);
  if (existsSync(path.join(sandbox.home, MODULE))) modules.ascalon = await sandbox.read(MODULE);
  return evaluateWezTermConfig(await sandbox.read(set.main.installedAs), modules, { anyModule: true });
}

/** `before` with asc's domain and bindings: the converged config, exactly. */
function expectConverged(before: EvaluatedConfig, after: EvaluatedConfig): void {
  const defaults = SSH_HOSTS.flatMap((host) => [
    { name: `SSH:${host}`, remote_address: host, multiplexing: 'None' },
    { name: `SSHMUX:${host}`, remote_address: host, multiplexing: 'WezTerm' },
  ]);
  // An empty Lua table comes out of the VM as {}, not [].
  const list = (value: unknown) => (Array.isArray(value) ? value : []) as { name?: string }[];
  const domains = (before.ssh_domains === undefined ? defaults : list(before.ssh_domains)).filter(
    (domain) => domain.name !== 'ascalon',
  );
  expect(after.ssh_domains).toEqual([...domains, OURS]);
  const wanted = new Map(bindingsByKeys(before.keys));
  for (const [combo, action] of Object.entries(COMBOS)) wanted.set(combo, [action as never]);
  expect(Object.fromEntries(bindingsByKeys(after.keys))).toEqual(Object.fromEntries(wanted));
  const rest = (config: EvaluatedConfig) => {
    const { keys: _keys, ssh_domains: _domains, ...others } = config;
    return others;
  };
  expect(rest(after)).toEqual(rest(before));
}

const sets = skip ? [] : [...realSets(), ...ownSets()];

describe.skipIf(skip).sequential('every WezTerm config converges', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'dotfiles');
    await sandbox.write('dotfiles/.ascrc.yaml', 'plugins:\n  lima: {}\n  wezterm: {}\n');
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  /** Every Lua file of the user (not asc's backups of them), path → bytes. */
  const luaFiles = async () => {
    const files = await sandbox.snapshot();
    return new Map(
      [...files].filter(([key]) => key.endsWith('.lua') && !key.startsWith('home/.local/state/')),
    );
  };

  it.each(sets.map((set) => [set.name, set] as const))('%s', async (_, set) => {
    for (const file of [set.main, ...set.modules]) {
      await sandbox.write(file.installedAs, await readFile(file.source, 'utf8'));
    }
    const original = await luaFiles();
    const before = await evaluate(sandbox, set);

    const run = await sandbox.asc(['run', 'wezterm'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/✔ WezTerm loads ascalon\.lua: .*\(wezterm\.config\): changed/);
    expect(run.exitCode).toBe(0);
    expectConverged(before, await evaluate(sandbox, set));
    // The modules are untouched; the main file changed in its return only.
    for (const module of set.modules) {
      expect(await sandbox.read(module.installedAs)).toBe(await readFile(module.source, 'utf8'));
    }
    const main = await sandbox.read(set.main.installedAs);
    expect(main.match(/require\("ascalon"\)\(/g)).toHaveLength(1);

    const converged = await luaFiles();
    const again = await sandbox.asc(['run', 'wezterm', '--json'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(
      JSON.parse(again.stdout).tasks.find((row: { id: string }) => row.id === 'wezterm.config'),
    ).toMatchObject({
      status: 'ok',
    });
    expect(await luaFiles()).toEqual(converged);
    expect((await sandbox.asc(['plan', 'wezterm'], { cwd })).exitCode).toBe(0);

    const uninstall = await sandbox.asc(['uninstall', '--yes'], { cwd });
    expect(uninstall.exitCode).toBe(0);
    expect(await luaFiles()).toEqual(original);
  });
});
