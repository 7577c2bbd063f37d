// Plan mode writes nothing, with every plugin on: `asc plan`, `asc status`, `asc doctor` and
// `asc uninstall --plan` leave every byte of the simulated Mac as it was (its HOME, Lima's instance
// folder, launchd's state, the guest's disk), on a fresh Mac and on a converged one that drifted.
// Every check runs behind one read-only wrapper of its context; this test is what holds a plugin to it.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, ROOT, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, startSshAgent } from '../sim/host-services.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const dockerCli = programOnPath('docker');
const skip =
  skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server') ||
  skipUnless(dockerCli !== undefined, 'the docker CLI', 'apt-get install docker.io');

const LUA = path.join(ROOT, 'test/fixtures/wezterm/config-builder.lua');
const FLAKE = `{
  outputs = { nixpkgs, nixos-lima, ... }: {
    nixosConfigurations.ascalon = nixpkgs.lib.nixosSystem {
      system = "aarch64-linux";
      modules = [ nixos-lima.nixosModules.lima { services.lima.enable = true; networking.hostName = "ascalon"; } ];
    };
  };
}
`;

/** Every plugin asc ships; nixos only when asked (it is opt-in). */
const config = (nixos: boolean) =>
  [
    'plugins:',
    '  lima:',
    '    mounts:',
    '      - location: ~/sysinit',
    '        writable: true',
    '  wezterm:',
    '    configFile: ./wezterm/wezterm.lua',
    '    keys: false',
    '  docker: {}',
    '  onepassword: {}',
    '  launchd: {}',
    ...(nixos ? ['  nixos:', '    enabled: true'] : []),
    '',
  ].join('\n');

describe.skipIf(skip).sequential('read-only commands with every plugin on', { timeout: 300_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    await mac.setupGuestShell('default', {
      packages: {
        'docker-cli': ['docker', dockerCli ?? ''],
        '1password-cli': ['op', path.join(sandbox.bin, 'op')],
      },
    });
    await sandbox.write('.ssh/config', 'Host github.com\n  User git\n', 0o600);
    await sandbox.write('Library/LaunchAgents/.keep', '');
    await sandbox.write('sysinit/wezterm/wezterm.lua', await readFile(LUA, 'utf8'));
    await sandbox.write('sysinit/flake.nix', FLAKE);
    await mac.startColima();
    await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'dev@mac');
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
  /** plan, status, doctor and uninstall --plan: each exits as it should, none writes a byte. */
  async function readOnlyCommands(): Promise<string> {
    const before = await mac.snapshot();
    await mac.clearCallLog();
    await mac.launchd.clearCalls();
    const plan = await asc(['plan', 'all']);
    const status = await asc(['status', 'all']);
    const doctor = await asc(['doctor']);
    const uninstall = await asc(['uninstall', '--plan']);
    expect(await mac.snapshot()).toEqual(before);
    expect(await mac.mutatingCalls()).toEqual([]);
    expect(await mac.launchd.mutatingCalls()).toEqual([]);
    expect(plan.exitCode).toBe(3);
    expect(status.exitCode).toBe(3);
    for (const result of [plan, status, doctor, uninstall]) {
      // No check even tried to write: plan mode would have refused it, loudly.
      expect(result.stdout + result.stderr).not.toContain('plan mode: refusing');
    }
    return plan.stdout;
  }

  it('on a fresh Mac', async () => {
    await sandbox.write('sysinit/.ascrc.yaml', config(true));
    const plan = await readOnlyCommands();
    expect(plan).toMatch(/~ .*\(lima\.instance\): would change/);
    expect(plan).toMatch(/~ .*\(lima\.ssh-include\): would change/);
  });

  it('on a converged Mac that drifted: checks that read deep (links, Lua, plists, the guest) still write nothing', async () => {
    await sandbox.write('sysinit/.ascrc.yaml', config(false));
    const run = await asc(['run', 'all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/failed:/);
    expect(run.exitCode).toBe(0);
    // Drift that leaves lima.yaml as it is, so the tasks behind it are checked for real.
    await rm(path.join(mac.instanceDir('default'), 'sock', 'asc-docker.sock'));
    await sandbox.write('sysinit/wezterm/wezterm.lua', await readFile(LUA, 'utf8'));
    await rm(path.join(sandbox.home, 'Library/LaunchAgents/io.lima-vm.autostart.default.plist'));
    const plan = await readOnlyCommands();
    expect(plan).toMatch(
      /~ .*\(docker\.host-socket\): would change: ~\/\.lima\/default\/sock\/asc-docker\.sock is missing/,
    );
    expect(plan).toMatch(/~ wezterm\.[a-z-]+: /);
    expect(plan).toMatch(/\+\+\+ ~\/sysinit\/wezterm\/wezterm\.lua/);
    expect(plan).toMatch(/~ .*\(launchd\.[a-z-]+\): would change/);

    // The nixos plugin turned on over the running Ubuntu VM: its check counts the guest home, read-only.
    await sandbox.write('sysinit/.ascrc.yaml', config(true));
    expect(await readOnlyCommands()).toMatch(/~ .*\(nixos\.migrated\): would change: .* Moving it: archive /);
  });
});
