import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVmSpec } from '../../src/index.ts';
import {
  createTestContext,
  expectIdempotent,
  type FakeAnswer,
  type TestContextOptions,
} from '../../src/testing.ts';
import { shortTempDir } from '../../test/harness/short-tmp.ts';
import { onePasswordPlugin } from './index.ts';
import { OP_SCRIPT, TOKEN_SCRIPT } from './op.ts';
import { onePasswordOptions } from './options.ts';
import { AGENT_SCRIPT } from './tasks.ts';

const GUEST_HOME = '/home/dev.guest';
const GUEST_SOCKET = `${GUEST_HOME}/.asc-ssh-agent.sock`;
const KEY = '256 SHA256:AbCdEf0123456789 dev@mac (ED25519)';
const TOKEN = 'ops_eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9_unit-test-marker';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

let home: string;
beforeEach(async () => {
  home = await shortTempDir('asc-op-');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const probe = (fields: Record<string, string>) =>
  Object.entries({ home: GUEST_HOME, socket: 'yes', uptime: '5000', env: GUEST_SOCKET, ...fields })
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

interface World {
  /** `ssh-add -l` on the Mac: 0 keys, 1 none, 2 no agent. */
  macAgent?: 0 | 1 | 2;
  sshG?: string;
  agentProbes?: string[];
  sshConfig?: boolean;
  /** `ssh -G` answers only once `ssh-add -l` has been asked on the Mac (a check that waits never ends). */
  sshGAfterSshAdd?: boolean;
  /** Filled with the SSH_AUTH_SOCK of each `ssh-add -l` on the Mac. */
  listed?: (string | undefined)[];
}

async function context(world: World, options: Partial<TestContextOptions> = {}) {
  const dir = path.join(home, '.lima', 'default');
  await mkdir(dir, { recursive: true });
  if (world.sshConfig) {
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    execFileSync('sh', ['-c', `printf 'Host *\\n' > ${JSON.stringify(path.join(home, '.ssh/config'))}`]);
  }
  const probes = [...(world.agentProbes ?? [])];
  let sshAddAsked = () => {};
  const sshAdd = new Promise<void>((resolve) => {
    sshAddAsked = resolve;
  });
  const t = await createTestContext({
    home,
    env: { HOME: home, SSH_AUTH_SOCK: '/private/tmp/launchd-1/Listeners' },
    guestFacts: {
      'onepassword.os': 'ubuntu',
      'onepassword.agent': probes.shift() ?? probe({ exit: '0', out: KEY }),
      'onepassword.op': '/usr/bin/op',
      'onepassword.token': 'file=none\nenv=unset',
    },
    exec: async (argv, opts): Promise<FakeAnswer | undefined> => {
      const [file, ...args] = argv;
      if (file === 'limactl') return { stdout: JSON.stringify({ name: 'default', status: 'Running', dir }) };
      if (file === 'ssh' && args[0] === '-G') {
        if (world.sshGAfterSshAdd) await sshAdd;
        return { stdout: `hostname 127.0.0.1\n${world.sshG ?? ''}` };
      }
      if (file === 'ssh') return {};
      if (file === 'ssh-add') {
        sshAddAsked();
        world.listed?.push(opts.env?.SSH_AUTH_SOCK);
        expect(opts.env?.SSH_AUTH_SOCK).toBeDefined();
        const code = world.macAgent ?? 0;
        if (code === 0) return { stdout: KEY };
        if (code === 1) return { exitCode: 1, stdout: 'The agent has no identities.' };
        return { exitCode: 2, stderr: 'Error connecting to agent: No such file or directory' };
      }
      return undefined;
    },
    guest: (argv) => {
      if (argv[2] === AGENT_SCRIPT) return { stdout: probes.shift() ?? probe({ exit: '0', out: KEY }) };
      return {};
    },
    ...options,
  });
  return { t, dir };
}

const task = (id: string, options = {}) => {
  const found = onePasswordPlugin
    .tasks(onePasswordOptions.parse(options), {} as never)
    .find((x) => x.id === id);
  if (!found) throw new Error(`no task ${id}`);
  return { ...found, id: `onepassword.${id}` };
};

describe('the onepassword plugin: the SSH agent', () => {
  it('forwards the agent into the guest home and sets SSH_AUTH_SOCK for every shell', () => {
    const spec = createVmSpec();
    onePasswordPlugin.vm?.(spec, onePasswordOptions.parse({}), {} as never);
    expect(spec.portForwards).toEqual([
      {
        guestSocket: '{{.Home}}/.asc-ssh-agent.sock',
        hostSocket: '{{.Dir}}/sock/asc-ssh-agent.sock',
        reverse: true,
      },
    ]);
    expect(spec.env).toEqual({ SSH_AUTH_SOCK: '{{.Home}}/.asc-ssh-agent.sock' });
    expect(spec.ssh).toEqual({});
  });

  it.each([
    {
      name: 'no ~/.ssh/config: 1Password’s socket',
      world: {},
      want: '~/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock',
    },
    {
      name: 'the IdentityAgent ssh -G resolves',
      world: { sshConfig: true, sshG: 'identityagent /Users/dev/.1password/agent.sock' },
      want: '/Users/dev/.1password/agent.sock',
    },
    {
      name: 'IdentityAgent SSH_AUTH_SOCK: the environment',
      world: { sshConfig: true, sshG: 'identityagent SSH_AUTH_SOCK' },
      want: '/private/tmp/launchd-1/Listeners',
    },
    {
      name: 'IdentityAgent none: 1Password’s socket',
      world: { sshConfig: true, sshG: 'identityagent none' },
      want: '~/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock',
    },
  ])('agent-socket links to $name', async ({ world, want }) => {
    const { t, dir } = await context(world);
    await expectIdempotent(task('agent-socket'), t);
    expect(await readlink(path.join(dir, 'sock/asc-ssh-agent.sock'))).toBe(want.replace(/^~/, home));
  });

  it('agent-socket: the option wins, and ssh -G is never asked', async () => {
    const { t, dir } = await context({ sshConfig: true, sshG: 'identityagent /x' });
    await expectIdempotent(task('agent-socket', { agentSocket: '~/.1password/agent.sock' }), t);
    expect(await readlink(path.join(dir, 'sock/asc-ssh-agent.sock'))).toBe(
      path.join(home, '.1password/agent.sock'),
    );
    expect(t.commands.some((c) => c.argv[0] === 'ssh')).toBe(false);
  });

  it('agent-works: 1Password’s agent off on the Mac fails with how to turn it on, and leaves the forward alone', async () => {
    const { t } = await context({
      macAgent: 2,
      agentProbes: [probe({ exit: '2', out: 'Error connecting to agent: Connection refused' })],
    });
    // Not a drift a run could fix: the check says so, with the user's fix (plan and status fail, exit 1).
    expect(await task('agent-works').check(t)).toMatchObject({
      converged: false,
      cannotFix: true,
      reason: expect.stringMatching(
        /^no SSH agent answers at ~\/Library\/Group Containers\/2BUA8C4S2C\.com\.1password\/t\/agent\.sock \(1Password's agent\)/,
      ),
      fix: "open 1Password → Settings → Developer and turn on 'Use the SSH agent'",
    });
    await expect(task('agent-works').apply(t)).rejects.toMatchObject({
      hint: "open 1Password → Settings → Developer and turn on 'Use the SSH agent'",
    });
    expect(t.commands.filter((c) => c.argv[0] === 'ssh')).toEqual([]);
  });

  it('agent-works: a dead forward is re-created; the keys in the VM then match the Mac’s', async () => {
    const { t } = await context({
      agentProbes: [
        probe({ exit: '2', out: 'Error connecting to agent: Connection refused' }),
        probe({ exit: '0', out: KEY }),
      ],
    });
    expect((await expectIdempotent(task('agent-works'), t)).reason).toMatch(
      /^the forward in the VM does not answer/,
    );
    const dir = path.join(home, '.lima/default');
    const spec = `${GUEST_SOCKET}:${path.join(dir, 'sock/asc-ssh-agent.sock')}`;
    const base = ['-F', path.join(dir, 'ssh.config'), '-o', 'ConnectTimeout=15'];
    expect(t.commands.filter((c) => c.argv[0] === 'ssh').map((c) => c.argv.slice(1))).toEqual([
      [...base, '-O', 'check', 'lima-default'],
      [...base, '-O', 'cancel', '-R', spec, 'lima-default'],
      [...base, '-O', 'forward', '-R', spec, 'lima-default'],
    ]);
    expect(t.guestCommands.filter((c) => c.mutating).map((c) => c.argv)).toEqual([
      ['rm', '-f', GUEST_SOCKET],
    ]);
  });

  it('agent-works after agent-socket moved the link asks the VM again: the facts were read through the old one', async () => {
    // A run reads every guest fact in one round trip, possibly before agent-socket runs: they still list
    // the key of the agent the link led to then.
    const before = '256 SHA256:Old0123456789 old@mac (ED25519)';
    const { t, dir } = await context({
      agentProbes: [probe({ exit: '0', out: before }), probe({ exit: '0', out: KEY })],
    });
    expect((await t.guest.facts())['onepassword.agent']).toContain('old@mac');
    await task('agent-socket').apply(t);
    expect(await readlink(path.join(dir, 'sock/asc-ssh-agent.sock'))).toBe(
      path.join(home, 'Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock'),
    );
    expect(await task('agent-works').check(t)).toMatchObject({ converged: true });
    expect(t.guestCommands.filter((c) => c.argv[2] === AGENT_SCRIPT)).toHaveLength(1);
  });

  it('agent-works: 1Password’s socket is listed while ssh -G runs, and listed again where ssh -G points elsewhere', async () => {
    // ssh -G answers only after ssh-add -l was asked: a check that lists after ssh -G would never end.
    const world: World = { sshConfig: true, sshGAfterSshAdd: true, listed: [] };
    const { t } = await context(world);
    expect(await task('agent-works').check(t)).toMatchObject({ converged: true });
    const onePassword = path.join(home, 'Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock');
    expect(world.listed).toEqual([onePassword]);

    const elsewhere: World = {
      sshConfig: true,
      sshG: 'identityagent /Users/dev/.other/agent.sock',
      listed: [],
    };
    const other = await context(elsewhere);
    expect(await task('agent-works').check(other.t)).toMatchObject({ converged: true });
    expect(elsewhere.listed).toEqual([onePassword, '/Users/dev/.other/agent.sock']);
  });

  it('agent-works: an agent forwarded by the ssh client shadows SSH_AUTH_SOCK', async () => {
    const { t } = await context({
      agentProbes: [probe({ exit: '0', out: KEY, env: '/tmp/ssh-XXXX/agent.42' })],
    });
    await expect(task('agent-works').apply(t)).rejects.toMatchObject({
      message: `the agent answers at ${GUEST_SOCKET}, but SSH_AUTH_SOCK in guest shells is "/tmp/ssh-XXXX/agent.42"`,
      hint: expect.stringContaining('ssh.forwardAgent'),
    });
  });
});

const TOKEN_REF = 'op://Dev/asc service account/credential';

describe('the onepassword plugin: op with a service account', () => {
  const account = { serviceAccount: { tokenRef: TOKEN_REF } };

  it('without a service account, says what op in the VM will and will not do', async () => {
    const { t } = await context({});
    const ids = onePasswordPlugin.tasks(onePasswordOptions.parse({}), {} as never).map((x) => x.id);
    expect(ids).toEqual(['agent-socket', 'agent-works', 'op-in-vm']);
    expect(await task('op-in-vm').check(t.withMode(true))).toMatchObject({ converged: true });
    expect(t.logs[0]).toMatch(/^info: op in the VM cannot use the Mac's 1Password app/);
  });

  it('op-token reads the token on the Mac, writes it in the VM over stdin, and compares hashes only', async () => {
    const guest: { file?: string; mode?: string; snippet?: string } = {};
    const { t } = await context(
      {},
      {
        id: 'onepassword.op-token',
        exec: (argv): FakeAnswer | undefined =>
          argv[0] === 'op' && argv[1] === 'read'
            ? { stdout: TOKEN }
            : argv[0] === 'limactl'
              ? { stdout: '' }
              : undefined,
        guest: (argv, opts) => {
          if (argv[0] === 'sh' && argv[2]?.includes('cat > "$f.tmp"')) {
            guest.file = opts.input;
            guest.mode = '600';
          } else if (argv[0] === 'sudo' && argv[2] === 'tee') {
            guest.snippet = opts.input;
          } else if (argv[2] === TOKEN_SCRIPT) {
            const env = guest.snippet && guest.file ? sha(guest.file) : 'unset';
            return { stdout: `file=${guest.mode ?? 'none'}\nenv=${env}` };
          }
          return {};
        },
      },
    );
    const { reason } = await expectIdempotent(task('op-token', account), t);
    expect(reason).toBe('no token from op://Dev/asc service account/credential written in the VM yet');
    expect(guest.file).toBe(TOKEN);
    expect(guest.snippet).toMatch(
      /OP_SERVICE_ACCOUNT_TOKEN="\$\(cat "\$HOME\/\.config\/asc\/op-service-account-token"\)"/,
    );
    expect(guest.snippet).not.toContain(TOKEN);
    // Never an argument, a log line, or a state record.
    const argvs = JSON.stringify([...t.commands, ...t.guestCommands]);
    expect(argvs).not.toContain(TOKEN);
    expect(JSON.stringify(t.logs)).not.toContain(TOKEN);
    const state = await readdir(path.join(home, '.local/state/asc/plugins'));
    const record = await readFile(path.join(home, '.local/state/asc/plugins', state[0] ?? ''), 'utf8');
    expect(record).not.toContain(TOKEN);
    expect(JSON.parse(record)).toEqual({
      'op-token': { tokenRef: 'op://Dev/asc service account/credential', sha256: sha(TOKEN) },
    });
    expect(t.guestCommands.filter((c) => c.mutating).map((c) => c.argv[0])).toEqual(['sh', 'sudo']);
  });

  it('op-token refuses an item that holds no service account token, without printing it', async () => {
    const { t } = await context(
      {},
      { exec: (argv) => (argv[0] === 'op' ? { stdout: 'hunter2-not-a-token' } : { stdout: '' }) },
    );
    const failed = task('op-token', account).apply(t);
    await expect(failed).rejects.toThrow(
      'op://Dev/asc service account/credential does not hold a service account token',
    );
    await expect(failed).rejects.not.toThrow(/hunter2/);
    expect(t.guestCommands).toEqual([]);
  });

  it('op-token: a reference op cannot read fails with op’s own words, before anything reaches the VM', async () => {
    const { t } = await context(
      {},
      {
        exec: (argv) =>
          argv[0] === 'op'
            ? {
                exitCode: 1,
                stderr: `[ERROR] 2026/08/30 10:00:00 could not read secret '${TOKEN_REF}': "x" isn't an item`,
              }
            : { stdout: '' },
      },
    );
    await expect(task('op-token', account).apply(t)).rejects.toMatchObject({
      message: `op read on the Mac could not read ${TOKEN_REF}: [ERROR] 2026/08/30 10:00:00 could not read secret '${TOKEN_REF}': "x" isn't an item`,
      hint: expect.stringContaining("needs 1Password's CLI integration"),
    });
    expect(t.guestCommands).toEqual([]);
  });

  it('op-cli installs from 1Password’s apt repository through sudo; op-works needs the SERVICE_ACCOUNT line', async () => {
    const { t } = await context(
      {},
      {
        guestFacts: { 'onepassword.op': '', 'onepassword.os': 'ubuntu' },
        guest: (argv) => {
          if (argv[2] === OP_SCRIPT) return { stdout: '/usr/bin/op' };
          if (argv[0] === 'op')
            return { exitCode: 1, stderr: '[ERROR] 2026/08/30 10:00:00 account is not signed in' };
          return {};
        },
      },
    );
    await expectIdempotent(task('op-cli', account), t);
    const [install] = t.guestCommands.filter((c) => c.mutating).map((c) => c.argv);
    expect(install?.slice(0, 3)).toEqual(['sudo', '-n', 'sh']);
    expect(install?.[4]).toContain('https://downloads.1password.com/linux/debian/$arch stable main');
    expect(install?.[4]).toContain('apt-get install -y -qq 1password-cli');
    expect(await task('op-works', account).check(t)).toEqual({
      converged: false,
      reason: 'op whoami in the VM: [ERROR] 2026/08/30 10:00:00 account is not signed in',
    });
  });

  it('doctor: the agent on the Mac, the agent in the VM, and op whoami with the service account', async () => {
    const { t } = await context(
      { agentProbes: [probe({ exit: '0', out: KEY })] },
      {
        guest: (argv) =>
          argv[0] === 'op'
            ? { stdout: 'URL: https://my.1password.com\nUser Type:         SERVICE_ACCOUNT\n' }
            : {},
      },
    );
    const rows = onePasswordPlugin.doctor?.(onePasswordOptions.parse(account), {} as never) ?? [];
    const facts = { ...(await t.guest.facts()) };
    expect(facts['onepassword.token']).toBe('file=none\nenv=unset');
    const found = Object.fromEntries(
      await Promise.all(rows.map(async (r) => [r.id, await r.run(t.withMode(true))])),
    );
    expect(found.agent).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^1 key\(s\) at ~\/Library\/Group Containers/),
    });
    expect(found['agent-in-vm']).toEqual({
      status: 'ok',
      message: "ssh-add -l in the VM lists the agent's keys",
    });
    expect(found['service-account']).toEqual({
      status: 'fail',
      message: 'OP_SERVICE_ACCOUNT_TOKEN is not set in guest login shells',
      fix: 'asc run onepassword.op-token',
    });
  });
});
