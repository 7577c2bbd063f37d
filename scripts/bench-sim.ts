// The bench's simulated Macs (test/sim): one with lima only, one with every built plugin but nixos (opt-in,
// and it would migrate the VM), each converged before anything is timed. Set up as the end-to-end tests set
// each plugin up: a real sshd as the VM, a fake Colima with its Docker daemon, a real ssh-agent at
// 1Password's path, the docker CLI "installed" in the guest, a WezTerm config with the domain.
import path from 'node:path';
import { createSandbox, type Sandbox } from '../test/harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, startSshAgent } from '../test/sim/host-services.ts';
import { createSimulatedMac, type SimulatedMac, sshdAvailable } from '../test/sim/index.ts';

export interface BenchMac {
  /** What it runs: 'lima only', 'every built plugin'. */
  readonly name: string;
  /** The folder with its .ascrc.yaml. */
  readonly cwd: string;
  /** The sandbox's environment (HOME, PATH with the fakes first, TMPDIR). */
  readonly env: Record<string, string>;
  /** Every limactl call's argv since the last clear. */
  limactlCalls(): Promise<string[][]>;
  clearCalls(): Promise<void>;
  stop(): Promise<void>;
}

/** Why the simulated Mac cannot run here, or undefined. */
export function simUnavailable(): string | undefined {
  if (!sshdAvailable()) return 'no /usr/sbin/sshd (apt-get install openssh-server)';
  if (!programOnPath('docker')) return 'no docker CLI (apt-get install docker.io)';
  return undefined;
}

const WEZTERM_LUA = `local wezterm = require 'wezterm'
local config = wezterm.config_builder()
config.font_size = 13
config.ssh_domains = {}
config.keys = {}
return config
`;

export async function limaOnly(): Promise<BenchMac> {
  const sandbox = await createSandbox();
  const mac = await createSimulatedMac(sandbox);
  return converge('lima only', sandbox, mac, 'plugins:\n  lima: {}\n');
}

export async function everyPlugin(): Promise<BenchMac> {
  const { sandbox, mac, config } = await everyPluginMac();
  return converge('every built plugin', sandbox, mac, config);
}

/**
 * A simulated Mac as a user of every built plugin but nixos has it before asc: Colima running with a
 * container, 1Password's agent with a key, a WezTerm config, the guest able to "install" docker and op;
 * and the config asc would read, to write to `sysinit/.ascrc.yaml`. Nothing of asc's is there yet.
 */
export async function everyPluginMac(): Promise<{ sandbox: Sandbox; mac: SimulatedMac; config: string }> {
  const sandbox = await createSandbox();
  const mac = await createSimulatedMac(sandbox);
  const docker = programOnPath('docker') ?? '';
  await mac.setupGuestShell('default', {
    packages: { 'docker-cli': ['docker', docker], '1password-cli': ['op', path.join(sandbox.bin, 'op')] },
  });
  await mac.startColima({ containers: [{ Name: 'web', Image: 'nginx:1.27' }] });
  await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'bench@mac');
  await sandbox.write('sysinit/wezterm.lua', WEZTERM_LUA);
  const config = [
    'plugins:',
    '  lima: {}',
    '  wezterm:',
    '    domain: ascalon',
    '    configFile: ~/sysinit/wezterm.lua',
    '  docker: {}',
    '  onepassword: {}',
    '  launchd: {}',
    '',
  ].join('\n');
  return { sandbox, mac, config };
}

async function converge(
  name: string,
  sandbox: Sandbox,
  mac: SimulatedMac,
  config: string,
): Promise<BenchMac> {
  const cwd = path.join(sandbox.home, 'sysinit');
  await sandbox.write('sysinit/.ascrc.yaml', config);
  const stop = async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  };
  try {
    const first = await sandbox.asc(['run', 'all', '--yes'], { cwd, timeoutMs: 300_000 });
    const second = await sandbox.asc(['run', 'all', '--json'], { cwd, timeoutMs: 300_000 });
    const report = JSON.parse(second.stdout) as { tasks: { status: string; reason: string | null }[] };
    // Converged: every row ok, but launchd's plist-mode task, skipped where Lima has its own autostart.
    const off = report.tasks.filter(
      (row) => row.status !== 'ok' && !(row.status === 'skipped' && row.reason?.startsWith('lima mode:')),
    );
    if (second.exitCode !== 0 || off.length > 0) {
      throw new Error(
        `the ${name} Mac did not converge: ${first.stdout}${first.stderr}\n--- second run ---\n${second.stdout}${second.stderr}`,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name,
    cwd,
    env: sandbox.env,
    limactlCalls: () => mac.callLog(),
    clearCalls: () => mac.clearCallLog(),
    stop,
  };
}
