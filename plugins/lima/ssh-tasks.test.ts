import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext, expectIdempotent } from '../../src/testing.ts';
import { sshTasks } from './ssh-tasks.ts';

/** A Mac whose Lima VM listens on `port`, and whose `ssh -G lima-default` resolves to `resolved`. */
async function mac(options: { include: boolean; port: number; resolved: number }) {
  const t = await createTestContext({
    exec: ([file, ...args]) => {
      if (file === 'limactl' && args[0] === 'list') {
        return {
          stdout: `${JSON.stringify({ name: 'default', status: 'Running', dir: '/x', sshLocalPort: options.port })}\n`,
        };
      }
      if (file === 'ssh' && args[0] === '-G')
        return { stdout: `hostname 127.0.0.1\nport ${options.resolved}\n` };
      if (file === 'ssh')
        return { exitCode: 255, stderr: 'ssh: connect to host 127.0.0.1 port 2222: Connection refused' };
      return undefined;
    },
  });
  const target = path.join(t.host.home, '.lima', 'default', 'ssh.config');
  await mkdir(path.join(t.host.home, '.ssh'), { recursive: true });
  await writeFile(
    path.join(t.host.home, '.ssh', 'config'),
    options.include
      ? `Include ${target}\nHost *\n  ServerAliveInterval 30\n`
      : 'Host lima-default\n  Port 2222\n',
  );
  return t;
}

const reachable = () => sshTasks('default').find((task) => task.id === 'ssh-reachable')!;

describe('lima.ssh-reachable names the broken link', () => {
  it('no Include before the first Host block', async () => {
    const result = await reachable().check(await mac({ include: false, port: 50022, resolved: 2222 }));
    expect(result).toMatchObject({ converged: false });
    expect((result as { reason: string }).reason).toMatch(
      /\.ssh\/config has no `Include .*\/\.lima\/default\/ssh\.config` before its first Host or Match line \(ssh: connect to host 127\.0\.0\.1 port 2222: Connection refused\)/,
    );
  });

  it('the Include is there, but ssh resolves the alias to another port than Lima uses now', async () => {
    const result = await reachable().check(await mac({ include: true, port: 50022, resolved: 2222 }));
    expect((result as { reason: string }).reason).toMatch(
      /^`ssh -G lima-default` resolves to port 2222, but Lima's VM listens on 50022: a Host block or option earlier in .* wins over the Include/,
    );
  });

  it('the alias resolves to the right port, and sshd does not answer', async () => {
    const result = await reachable().check(await mac({ include: true, port: 50022, resolved: 50022 }));
    expect((result as { reason: string }).reason).toBe(
      'sshd of default at 127.0.0.1:50022 does not answer: ssh: connect to host 127.0.0.1 port 2222: Connection refused',
    );
  });
});

describe('lima.ssh-include', () => {
  it('adds the Include before the first Host block, idempotently, and plan shows no drift afterwards', async () => {
    const t = await createTestContext();
    await mkdir(path.join(t.host.home, '.ssh'), { recursive: true });
    await writeFile(path.join(t.host.home, '.ssh', 'config'), 'Host github.com\n  User git\n');
    const include = sshTasks('default').find((task) => task.id === 'ssh-include')!;
    const { reason } = await expectIdempotent(include, t);
    expect(reason).toMatch(/^Include .*ssh\.config is missing$/);
  });
});
