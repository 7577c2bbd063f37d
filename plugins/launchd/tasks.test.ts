import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/testing.ts';
import { agentsTask } from './agents.ts';
import { launchdPlugin } from './index.ts';
import { launchdOptions } from './options.ts';
import { limaAutostartArgs, resolveMode } from './situation.ts';
import { launchdTasks } from './tasks.ts';

const options = launchdOptions.parse({});

describe('the launchd tasks', () => {
  it('auto is lima from Lima 0.21 (start-at-login), plist before; autostart replaces start-at-login in 2.2', () => {
    expect(resolveMode('auto', '0.20.0')).toBe('plist');
    expect(resolveMode('auto', '0.21.0')).toBe('lima');
    expect(resolveMode('plist', '2.2.0')).toBe('plist');
    expect(limaAutostartArgs('2.2.0', 'default', true)).toEqual(['autostart', 'enable', 'default']);
    expect(limaAutostartArgs('2.1.4', 'default', true)).toEqual([
      'start-at-login',
      '--enabled=true',
      'default',
    ]);
    expect(limaAutostartArgs('1.0.3', 'dev', false)).toEqual(['start-at-login', '--enabled=false', 'dev']);
  });

  it('registered in every mode, loaded unless the mode is lima; phase3, after lima.instance', () => {
    const ids = (mode: string) => launchdTasks(launchdOptions.parse({ mode }), 'default').map((t) => t.id);
    expect(ids('auto')).toEqual(['registered', 'loaded']);
    expect(ids('plist')).toEqual(['registered', 'loaded']);
    expect(ids('lima')).toEqual(['registered']);
    const [registered, loaded] = launchdTasks(options, 'default');
    expect(registered).toMatchObject({ phase: 'phase3', needs: ['lima.instance'] });
    expect(loaded).toMatchObject({ phase: 'phase3', needs: ['launchd.registered'] });
  });

  it('bad options name the key', () => {
    expect(launchdOptions.safeParse({ mode: 'sometimes' }).error?.issues[0]?.path).toEqual(['mode']);
    expect(launchdOptions.safeParse({ keepAlive: 'yes' }).error?.issues[0]?.path).toEqual(['keepAlive']);
    expect(launchdOptions.safeParse({ keepalive: true }).success).toBe(false);
  });

  it('not a Mac: the check says it is skipped, and why, having only read (in the first round)', async () => {
    const t = await createTestContext({ hostFacts: { platform: 'linux' } });
    const [registered] = launchdTasks(options, 'default');
    expect(await registered!.check(t)).toEqual({
      converged: false,
      notApplicable: true,
      reason: expect.stringMatching(
        /^not a Mac \(uname -s says linux\): launchd and LaunchAgents are macOS only/,
      ),
    });
    // Its reads start with the host facts, before the platform is known; none changes anything.
    expect(t.commands.filter((c) => c.mutating)).toEqual([]);
  });

  it('no GUI session (gui/<uid> missing, as over plain ssh): skipped with launchctl own words', async () => {
    const t = await createTestContext({
      exec: (argv) =>
        argv.join(' ') === 'launchctl print gui/501'
          ? { exitCode: 112, stderr: 'Bad request.\nCould not find domain for user gui: 501' }
          : undefined,
    });
    const [, loaded] = launchdTasks(options, 'default');
    expect(await loaded!.check(t)).toMatchObject({
      notApplicable: true,
      reason: expect.stringMatching(
        /^no GUI session: `launchctl print gui\/501` exited 112 \(Could not find domain for user gui: 501\)/,
      ),
    });
    expect(t.commands.map((c) => c.argv.join(' '))).toContain('launchctl print gui/501');
    expect(t.commands.filter((c) => c.mutating)).toEqual([]);
  });

  it('agents: each agent is asked of launchd with the session probe, not after it', async () => {
    // launchctl answers the session probe only once the agent's label was asked: a check that asks in
    // turn never ends.
    const label = 'io.ascalon.default.backup.schedule';
    let labelAsked = () => {};
    const asked = new Promise<void>((resolve) => {
      labelAsked = resolve;
    });
    const t = await createTestContext({
      exec: async (argv) => {
        const line = argv.join(' ');
        if (line === 'launchctl print gui/501') {
          await asked;
          return { stdout: 'gui/501 = {\n}\n' };
        }
        if (line === `launchctl print gui/501/${label}`) {
          labelAsked();
          return { exitCode: 113, stderr: `Could not find service "${label}" in domain for user gui: 501` };
        }
        if (line === 'launchctl print-disabled gui/501') return { stdout: 'disabled services = {\n}\n' };
        return undefined;
      },
    });
    const agent = {
      plugin: 'backup',
      id: 'schedule',
      title: 'back up',
      args: ['backup'],
      schedule: [{ hour: 3 }],
    };
    expect(await agentsTask([agent]).check(t)).toMatchObject({
      converged: false,
      reason: expect.stringContaining('would be written and loaded'),
    });
  });

  it('declares launchctl and plutil as tools, and a doctor and an uninstall', () => {
    expect(Object.keys(launchdPlugin.tools ?? {})).toEqual(['launchctl', 'plutil']);
    const ctx = {
      config: { instance: 'default', file: undefined, dir: '/' },
      home: '/Users/u',
      vm: {} as never,
    };
    expect(launchdPlugin.doctor?.(options, ctx).map((row) => row.id)).toEqual([
      'registration',
      'last-exit',
      'program',
    ]);
    expect(launchdPlugin.uninstall?.(options, ctx).map((task) => task.id)).toEqual([
      'agent',
      'lima-autostart',
      'replaced',
      'agents',
    ]);
  });
});
