import { describe, expect, it } from 'vitest';
import { launchdAgents } from './heal.ts';
import { launchdOptions } from './options.ts';

const ctx = (plugins: string[]) => ({
  config: { instance: 'default', file: '/Users/dev/.ascrc.yaml', dir: '/Users/dev' },
  home: '/Users/dev',
  vm: {} as never,
  plugins,
});
const options = (value: unknown) => launchdOptions.parse(value);

describe('the heal agent the launchd plugin asks for', () => {
  it("runs the enabled plugins' forward tasks, unattended, every 5 minutes by default", () => {
    expect(launchdAgents(options({}), ctx(['lima', 'docker', 'onepassword', 'launchd']))).toEqual([
      {
        id: 'heal',
        title: "heal the VM's socket forwards (docker.works, onepassword.agent-works)",
        args: ['run', 'docker.works', 'onepassword.agent-works', '--unattended'],
        schedule: [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55].map((minute) => ({ minute })),
      },
    ]);
    expect(launchdAgents(options({}), ctx(['lima', 'onepassword', 'launchd']))[0]?.args).toEqual([
      'run',
      'onepassword.agent-works',
      '--unattended',
    ]);
  });

  it('is not there without a forward to heal, or when turned off; targets and every replace the defaults', () => {
    expect(launchdAgents(options({}), ctx(['lima', 'launchd']))).toEqual([]);
    expect(launchdAgents(options({ heal: { enabled: false } }), ctx(['docker']))).toEqual([]);
    const [mine] = launchdAgents(options({ heal: { every: 20, targets: ['my.task'] } }), ctx(['docker']));
    expect(mine?.args).toEqual(['run', 'my.task', '--unattended']);
    expect(mine?.schedule).toEqual([{ minute: 0 }, { minute: 20 }, { minute: 40 }]);
  });

  it('refuses an interval that does not divide an hour', () => {
    expect(launchdOptions.safeParse({ heal: { every: 7 } }).success).toBe(false);
    expect(launchdOptions.safeParse({ heal: { targets: [] } }).success).toBe(false);
  });
});
