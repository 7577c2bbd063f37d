// The heal agent on a simulated Mac with a running VM: Colima's Docker daemon and a 1Password-like SSH
// agent reach the guest through real OpenSSH reverse forwards; a sleep of the Mac kills them
// (mac.sleep), and the agent, fired as launchd fires a calendar job on wake, brings them back with
// nobody typing, without a VM restart. A stopped VM stays stopped.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, programOnPath, type SshAgent, startSshAgent } from '../sim/host-services.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const dockerCli = programOnPath('docker');
const skip =
  skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server') ||
  skipUnless(dockerCli !== undefined, 'the docker CLI', 'apt-get install docker.io');

const LABEL = 'io.ascalon.default.launchd.heal';

describe
  .skipIf(skip)
  .sequential('the heal agent heals the forwards after a sleep', { timeout: 300_000 }, () => {
    let sandbox: Sandbox;
    let mac: SimulatedMac;
    let agent: SshAgent;
    let cwd: string;

    beforeEach(async () => {
      sandbox = await createSandbox();
      mac = await createSimulatedMac(sandbox);
      cwd = path.join(sandbox.home, 'sysinit');
      await mac.setupGuestShell('default', { packages: { 'docker-cli': ['docker', dockerCli ?? ''] } });
      await mac.startColima({ containers: [{ Name: 'web', Image: 'nginx:1.27' }] });
      agent = await startSshAgent(sandbox, path.join(sandbox.home, ONEPASSWORD_AGENT), 'dev@mac');
      await sandbox.write(
        'sysinit/.ascrc.yaml',
        'plugins:\n  lima: {}\n  docker: {}\n  onepassword: {}\n  launchd: {}\n',
      );
    });
    afterEach(async () => {
      await mac.stopAll();
      await sandbox.cleanup();
    });

    const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
    const lima = (...args: string[]) => sandbox.exec('lima', args, { timeoutMs: 120_000 });
    const log = () =>
      readFile(path.join(sandbox.home, 'Library', 'Logs', 'asc', `${LABEL}.log`), 'utf8').catch(() => '');

    it('on wake, the agent re-creates both forwards without a stop or a start, and logs what it healed', async () => {
      const run = await asc(['run', 'all', '--yes']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/\(launchd\.agents\): changed/);
      const plist = await readFile(path.join(mac.launchAgents, `${LABEL}.plist`), 'utf8');
      expect(plist).toContain('<string>docker.works</string>\n\t\t<string>onepassword.agent-works</string>');

      // A converged machine: the agent's run changes nothing, writes nothing to its log, and costs one
      // `limactl list` and one guest round trip beside the version probe.
      await mac.clearCallLog();
      expect(await mac.launchd.fire(LABEL)).toMatchObject({ fired: true, exitCode: 0 });
      expect(await log()).toBe('');
      expect((await mac.callLog()).map((argv) => argv.find((a) => !a.startsWith('-')))).toEqual(
        expect.arrayContaining(['list', 'shell']),
      );
      expect((await mac.callLog()).filter((argv) => argv.includes('shell'))).toHaveLength(1);

      await mac.sleep('default');
      expect((await lima('docker', 'ps')).stderr).toMatch(/Cannot connect to the Docker daemon/);
      await mac.clearCallLog();
      const [woke] = await mac.launchd.wake();
      expect(woke).toMatchObject({ label: LABEL, fired: true, exitCode: 0 });
      expect(await mac.mutatingCalls()).toEqual([]);
      expect(await mac.vmRunning('default')).toBe(true);
      expect((await lima('docker', 'ps')).stdout).toContain('web');
      expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(agent.keys.join('\n'));
      const healed = await log();
      expect(healed).toMatch(/Z ✔ docker in the VM reaches the daemon on the Mac \(docker\.works\): changed/);
      expect(healed).toMatch(/Z ✔ .* \(onepassword\.agent-works\): changed/);
      expect(healed).toMatch(/Z run: \d+ ok, 2 changed, 0 failed, 0 skipped/);

      // A VM stopped on purpose stays stopped: lima.running is checked, not applied.
      expect((await mac.limactl(['stop', 'default'])).exitCode).toBe(0);
      await mac.clearCallLog();
      expect(await mac.launchd.fire(LABEL)).toMatchObject({ exitCode: 0 });
      expect(await mac.mutatingCalls()).toEqual([]);
      expect(await mac.vmRunning('default')).toBe(false);
      expect(await log()).toBe(healed);
    });
  });
