// The onepassword plugin on the simulated Mac: a real ssh-agent plays 1Password's agent at its real path
// (with the space of "Group Containers"), reached from the guest by the real ssh-add through a real OpenSSH
// reverse forward; and a service account whose token must never appear outside the one guest file.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type RunResult, type Sandbox } from '../harness/sandbox.ts';
import { ONEPASSWORD_AGENT, startSshAgent } from '../sim/host-services.ts';
import {
  createSimulatedMac,
  type GuestShell,
  type SimulatedMac,
  SSHD_PATH,
  sshdAvailable,
} from '../sim/index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

const TOKEN_REF = 'op://Dev/asc service account/credential';

// Each step spawns the CLI, the fake limactl, ssh and sshd: generous deadlines, on a shared 2-core machine.
describe.skipIf(skip).sequential('the onepassword plugin on a simulated Mac', { timeout: 300_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let guest: GuestShell;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    guest = await mac.setupGuestShell('default', {
      packages: { '1password-cli': ['op', path.join(sandbox.bin, 'op')] },
    });
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (onepassword: string) =>
    sandbox.write('sysinit/.ascrc.yaml', `plugins:\n  lima: {}\n  onepassword:${onepassword}\n`);
  const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
  const lima = (...args: string[]) => sandbox.exec('lima', args, { timeoutMs: 120_000 });
  const statuses = (stdout: string) =>
    Object.fromEntries([...stdout.matchAll(/\(([a-z]+\.[a-z-]+)\): (\w+)/g)].map((m) => [m[1], m[2]]));
  const agentPath = () => path.join(sandbox.home, ONEPASSWORD_AGENT);

  it('1Password’s agent, path with a space and all: ssh-add -l in the VM lists its key; a new agent or IdentityAgent needs no restart', async () => {
    let agent = await startSshAgent(sandbox, agentPath(), 'first@mac');
    await config(' {}');
    const run = await asc(['run', 'all', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.exitCode, run.stdout).toBe(0);
    expect((await mac.mutatingCalls()).map((argv) => argv[0])).toEqual(['create', 'start']);
    expect(statuses(run.stdout)).toMatchObject({
      'onepassword.agent-socket': 'changed',
      'onepassword.agent-works': 'ok',
      'onepassword.op-in-vm': 'ok',
    });
    expect(run.stdout).toContain("op in the VM cannot use the Mac's 1Password app");

    const guestSocket = path.join(await mac.guestHome('default'), '.asc-ssh-agent.sock');
    expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(agent.keys.join('\n'));
    expect((await lima('sh', '-c', 'printf %s "$SSH_AUTH_SOCK"')).stdout).toBe(guestSocket);
    const before = await stat(guestSocket);

    // 1Password quit: the agent is named, the fix is 1Password's setting, and the forward is left alone.
    await agent.stop();
    const off = await asc(['run', 'phase2']);
    expect(off.exitCode).toBe(1);
    expect(off.stdout).toMatch(
      /✖ .*\(onepassword\.agent-works\): failed: no SSH agent answers at ~\/Library\/Group Containers\/2BUA8C4S2C\.com\.1password\/t\/agent\.sock \(1Password's agent\)/,
    );
    expect(off.stdout).toContain(
      "hint: open 1Password → Settings → Developer and turn on 'Use the SSH agent'",
    );
    expect((await stat(guestSocket)).ino).toBe(before.ino);

    // 1Password back, with another key: the same forward reaches it (ssh connects through the link each time).
    agent = await startSshAgent(sandbox, agentPath(), 'second@mac');
    await mac.clearCallLog();
    const back = await asc(['run', 'phase2']);
    expect(back.exitCode, back.stdout).toBe(0);
    expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(agent.keys.join('\n'));

    // The user's ssh uses another agent for lima-default: asc follows IdentityAgent (`ssh -G`), no restart.
    const other = await startSshAgent(
      sandbox,
      path.join(sandbox.home, '.other-agent/agent.sock'),
      'other@mac',
    );
    const sshConfig = await sandbox.read('.ssh/config');
    await sandbox.write(
      '.ssh/config',
      `${sshConfig}\nHost lima-default\n  IdentityAgent "${other.socket}"\n`,
    );
    const switched = await asc(['run', 'phase2']);
    expect(switched.exitCode, switched.stdout).toBe(0);
    expect(statuses(switched.stdout)).toMatchObject({
      'onepassword.agent-socket': 'changed',
      'onepassword.agent-works': 'ok',
    });
    expect((await lima('ssh-add', '-l')).stdout.trim()).toBe(other.keys.join('\n'));
    expect(await mac.mutatingCalls()).toEqual([]);
  });

  it('a service account: op in the VM works, and its token appears in no file, output, log, diff or backup', async () => {
    const token = `ops_asc-e2e-marker-${randomBytes(12).toString('hex')}`;
    await mac.setOpItems({ [TOKEN_REF]: token });
    await startSshAgent(sandbox, agentPath(), 'dev@mac');
    await config(`\n    serviceAccount:\n      tokenRef: ${JSON.stringify(TOKEN_REF)}`);
    const outputs: RunResult[] = [];
    const keep = (result: RunResult) => {
      outputs.push(result);
      return result;
    };

    keep(await asc(['plan', 'all', '-v']));
    const run = keep(await asc(['run', 'all', '--yes', '-v']));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(statuses(run.stdout)).toMatchObject({
      'onepassword.op-cli': 'changed',
      'onepassword.op-token': 'changed',
      'onepassword.op-works': 'ok',
    });
    expect(await guest.aptInstalls()).toEqual(['1password-cli']);
    const whoami = keep(await lima('op', 'whoami'));
    expect(whoami.stdout).toMatch(/^User Type:\s+SERVICE_ACCOUNT$/m);

    // The token file: 0600 in a 0700 folder, in the guest home; written over stdin, exported by profile.d.
    const tokenFile = path.join(await mac.guestHome('default'), '.config/asc/op-service-account-token');
    expect(await readFile(tokenFile, 'utf8')).toBe(token);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(tokenFile))).mode & 0o777).toBe(0o700);
    const sudo = await guest.sudoCalls();
    expect(sudo.map((call) => call.argv.slice(0, 2))).toEqual([
      ['sh', '-c'],
      ['tee', '/etc/profile.d/asc-onepassword.sh'],
    ]);
    expect(sudo[0]?.argv[2]).toContain('apt-get install -y -qq 1password-cli');

    // Converged: hashes compare equal, nothing is read from 1Password again, nothing changes.
    await mac.clearCallLog();
    const again = keep(await asc(['run', 'all', '--json', '-v']));
    expect(again.exitCode).toBe(0);
    const tasks = (JSON.parse(again.stdout) as { tasks: { id: string; status: string }[] }).tasks;
    expect(tasks.filter((t) => t.status !== 'ok')).toEqual([]);
    expect(await mac.mutatingCalls()).toEqual([]);
    keep(await asc(['status', 'phase2']));
    keep(await asc(['plan', 'phase2', '--json']));

    // The drifted case shows its reason, still without the token: the exported one no longer matches.
    await sandbox.write(tokenFile, 'ops_someone-else');
    const drifted = keep(await asc(['status', 'phase2', '-v']));
    expect(drifted.exitCode).toBe(3);
    expect(drifted.stdout).toContain(
      'onepassword.op-token: the token in guest shells is not the one asc wrote',
    );
    const healed = keep(await asc(['run', 'phase2', '-v']));
    expect(healed.exitCode, healed.stdout).toBe(0);
    expect(await readFile(tokenFile, 'utf8')).toBe(token);

    for (const result of outputs) {
      expect(result.stdout).not.toContain(token);
      expect(result.stderr).not.toContain(token);
    }
    // Every file in the sandbox (HOME, state, backups, logs, temp files, the sim's records) but two: the
    // token file in the guest, and the fake 1Password vault the test filled.
    const allowed = new Set([tokenFile, path.join(sandbox.root, 'op-items.json')]);
    const leaks: string[] = [];
    const files = await filesUnder(sandbox.root);
    expect(files).toContain(path.join(mac.instanceDir('default'), 'lima.yaml'));
    expect(files).toContain(path.join(mac.guestRoot, 'sudo.log'));
    for (const file of files) {
      if (allowed.has(file)) continue;
      if ((await readFile(file)).includes(token)) leaks.push(file);
    }
    expect(leaks).toEqual([]);
    expect((await filesUnder(path.join(sandbox.home, '.local/state/asc/backups'))).length).toBeGreaterThan(0);
  });
});

/** Every regular file under `dir` (sockets, links and folders aside). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile() && (await lstat(full)).isFile()) out.push(full);
  }
  return out;
}
