// Guest access in the task context: commands in the VM through limactl shell, and guest facts in one
// round trip per run, shared by every plugin. The guest home is asked of the guest, per Lima version.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac, SSHD_PATH, sshdAvailable } from '../sim/index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

/** Two plugins that read guest facts, and one guest command whose exit status must come back as is. */
const probe = (name: string) => `
export default {
  name: '${name}',
  guestFacts: { kernel: 'uname -s' },
  tasks: () => [{
    id: 'facts',
    needs: ['lima.running'],
    async check(t) {
      const facts = await t.guest.facts();
      const status = await t.guest.query(['sh', '-c', 'echo "$0" >&2; exit 7', 'arg with spaces; $(x)'], { okCodes: [7] });
      await import('node:fs/promises').then((fs) => fs.writeFile('${name}.json', JSON.stringify({ facts, exit: status.exitCode, stderr: status.stderr })));
      return { converged: true };
    },
    async apply() {},
  }],
};
`;

// Each step spawns the CLI and the simulated Mac's tools: a safety net on a shared, loaded machine, not a threshold.
describe.skipIf(skip).sequential('guest access', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  it.each([
    { lima: '2.2.0', suffix: '.guest' },
    { lima: '2.0.3', suffix: '.linux' },
  ])(
    'an instance made by Lima $lima has its home at <user>$suffix, as the guest says',
    async ({ lima, suffix }) => {
      mac = await createSimulatedMac(sandbox, { limaVersion: lima });
      await mac.seedInstance('default', 'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n', { running: true });
      const cwd = path.join(sandbox.home, 'sysinit');
      await sandbox.write('sysinit/one.mjs', probe('one'));
      await sandbox.write('sysinit/two.mjs', probe('two'));
      await sandbox.write('sysinit/.ascrc.yaml', 'plugins:\n  lima: {}\n  ./one.mjs: {}\n  ./two.mjs: {}\n');
      await mac.clearCallLog();

      const run = await sandbox.asc(['run', 'one.facts', 'two.facts'], { cwd });
      expect(run.exitCode).toBe(0);
      const one = JSON.parse(await readFile(path.join(cwd, 'one.json'), 'utf8'));
      const two = JSON.parse(await readFile(path.join(cwd, 'two.json'), 'utf8'));
      const home = await mac.guestHome('default');
      expect(home.endsWith(`${mac.user}${suffix}`)).toBe(true);
      expect(one.facts).toEqual({
        'lima.home': home,
        'lima.user': expect.any(String),
        'lima.clock': expect.stringMatching(/^\d+$/),
        'one.kernel': 'Linux',
        'two.kernel': 'Linux',
      });
      expect(two.facts).toEqual(one.facts);
      // The exit status and the arguments come back as they were, through limactl shell and ssh.
      expect(one.exit).toBe(7);
      expect(one.stderr).toContain('arg with spaces; $(x)');

      // Facts: one `limactl shell` round trip for the whole run, whoever asked. Then one per guest command.
      const shells = (await mac.callLog()).filter((argv) => argv[0] === 'shell');
      const factRounds = shells.filter(
        (argv) => argv.includes('sh') && argv.some((a) => a.includes('asc-fact-')),
      );
      expect(factRounds).toHaveLength(1);
      expect(shells).toHaveLength(3);
      for (const argv of shells)
        expect(argv.slice(0, 6)).toEqual(['shell', '--tty=false', '--workdir', '/', 'default', '--']);
    },
  );
});
