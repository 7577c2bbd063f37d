// The launchd plugin on a simulated Mac: a fake launchctl with launchd's state in the sandbox, the fake
// limactl's autostart, a Homebrew prefix in the sandbox, and Python's plistlib as an independent reader of
// the plists. The VM is seeded, not started: these tests need no sshd.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, constants, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchdPlugin } from '../../plugins/launchd/index.ts';
import { launchdOptions } from '../../plugins/launchd/options.ts';
import { createTestContext, type TestContext } from '../../src/testing.ts';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac } from '../sim/index.ts';

const hasPlistlib = spawnSync('python3', ['-c', 'import plistlib']).status === 0;
const noPython = skipUnless(
  hasPlistlib,
  'python3 (its plistlib reads the plists)',
  'apt-get install python3',
);

const uid = process.getuid?.() ?? 0;
const gui = `gui/${uid}`;

interface Row {
  id: string;
  status: string;
  reason: string | null;
  diff: string | null;
}

// Each step spawns the CLI and the simulated Mac's tools: a safety net on a shared, loaded machine, not a threshold.
describe.sequential('the launchd plugin on a simulated Mac', { timeout: 180_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;

  const setUp = async (limaVersion: string) => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox, { limaVersion });
    await mac.seedInstance('default', 'cpus: 2\nmemory: 4GiB\ndisk: 20GiB\n');
  };
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const agents = () => mac.launchAgents;
  const ours = () => path.join(agents(), 'io.lima.default.plist');
  const limas = () => path.join(agents(), 'io.lima-vm.autostart.default.plist');
  const limactlLink = () => path.join(mac.brewPrefix, 'bin', 'limactl');
  const config = (launchd = '{}') =>
    sandbox.write('.ascrc.yaml', `plugins:\n  lima: {}\n  launchd: ${launchd}\n`);
  const asc = (args: string[], env?: Record<string, string>) => sandbox.asc(args, { cwd: sandbox.home, env });
  const rows = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { tasks: Row[] }).tasks.map((row) => [row.id, row]));
  const statuses = (stdout: string) =>
    Object.fromEntries([...stdout.matchAll(/\(([\w.-]+)\): (\w[\w-]*)/g)].map((m) => [m[1], m[2]]));
  /** Every file of the sandbox but the fakes' own call logs, which read-only calls append to. */
  const snapshot = async () => {
    const files = await sandbox.snapshot();
    for (const key of files.keys()) if (/(calls|launched)\.log$|^launchd\/$/.test(key)) files.delete(key);
    return files;
  };
  /** Every change made by limactl or launchctl since the last clear (each tool's in its order). */
  const mutations = async () => [
    ...(await mac.mutatingCalls()).map((argv) => ['limactl', ...argv]),
    ...(await mac.launchd.mutatingCalls()).map((argv) => ['launchctl', ...argv]),
  ];
  const clearCalls = async () => {
    await mac.clearCallLog();
    await mac.launchd.clearCalls();
  };
  const plistlib = async (file: string) => {
    const { stdout } = await promisify(execFile)('python3', [
      '-c',
      'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))',
      file,
    ]);
    return JSON.parse(stdout) as Record<string, unknown>;
  };
  const backupsOf = async (file: string) => {
    const root = path.join(sandbox.home, '.local', 'state', 'asc', 'backups');
    if (!existsSync(root)) return [];
    const found: string[] = [];
    for (const stamp of await readdir(root)) {
      const copy = path.join(root, stamp, file);
      if (existsSync(copy)) found.push(copy);
    }
    return found;
  };

  /**
   * A common hand-made plist, loaded as such setups do, with the legacy `launchctl load`. Its job ran plain
   * `limactl start default`, which exits once the VM is up.
   */
  const seedLegacy = async () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>io.lima.default</string>
    <key>ProgramArguments</key>
    <array>
        <string>${limactlLink()}</string>
        <string>start</string>
        <string>default</string>
    </array>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <false/>
</dict>
</plist>
`;
    await sandbox.write(ours(), text, 0o644);
    expect((await mac.launchctl(['load', ours()])).exitCode).toBe(0);
    await mac.launchd.setJob('io.lima.default', { state: 'not running', lastExitCode: 0 });
    await clearCalls();
    return text;
  };

  describe('Lima 2.2: lima mode', () => {
    beforeEach(() => setUp('2.2.0'));

    it("with a hand-made legacy plist loaded, one run leaves only Lima's registration; the second changes nothing", async () => {
      const legacy = await seedLegacy();
      await config();

      const before = await snapshot();
      const plan = await asc(['plan', 'launchd']);
      expect(plan.exitCode).toBe(3);
      expect(plan.stdout).toContain(
        "~ VM default starts at login (one registration) (launchd.registered): would change: ~/Library/LaunchAgents/io.lima.default.plist is a hand-made plist (plain `limactl start`, which launchd kills with its process group; lima#2142) and is a second registration: it would be unloaded, backed up outside ~/Library/LaunchAgents and removed; Lima's autostart is not registered: `limactl autostart enable default` would write ~/Library/LaunchAgents/io.lima-vm.autostart.default.plist",
      );
      expect(await snapshot()).toEqual(before);
      expect(await mutations()).toEqual([]);

      const run = await asc(['run', 'launchd']);
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      // In lima mode there is no LaunchAgent of asc's to load: the plist-mode task says so, it is not "ok".
      expect(statuses(run.stdout)).toMatchObject({
        'launchd.registered': 'changed',
        'launchd.loaded': 'skipped',
      });
      expect(run.stdout).toContain(
        "↓ asc's LaunchAgent io.lima.default is loaded (plist mode) (launchd.loaded): skipped: lima mode: asc has no LaunchAgent",
      );
      expect(await mac.mutatingCalls()).toEqual([['autostart', 'enable', 'default']]);
      expect(await mac.launchd.mutatingCalls()).toEqual([
        ['bootout', `${gui}/io.lima.default`],
        ['enable', `${gui}/io.lima-vm.autostart.default`],
      ]);
      // Only Lima's plist is left where launchd looks; the hand-made one is backed up outside it, and unloaded.
      expect(await readdir(agents())).toEqual(['io.lima-vm.autostart.default.plist']);
      const [backup] = await backupsOf(ours());
      expect(await readFile(backup!, 'utf8')).toBe(legacy);
      expect(await mac.launchd.jobs()).toEqual({});
      expect(await mac.launchd.disabled()).toEqual({ 'io.lima-vm.autostart.default': false });
      // Lima wrote the limactl asc ran it as: the prefix link, which a brew upgrade keeps.
      const lima = await readFile(limas(), 'utf8');
      expect(lima).toContain(`<string>${limactlLink()}</string>`);
      // Registered, not started by asc: a bootstrap now would start the VM a second time.
      expect((await mac.launchd.launched()).map((job) => job.label)).toEqual(['io.lima.default']);

      await clearCalls();
      const again = await asc(['run', 'launchd', '--json']);
      expect(again.exitCode).toBe(0);
      expect(Object.values(rows(again.stdout)).map((r) => r.status)).toEqual([
        'ok',
        'ok',
        'ok',
        'skipped',
        'ok',
      ]);
      expect(rows(again.stdout)['launchd.registered']?.reason).toBe(
        "Lima's autostart ~/Library/LaunchAgents/io.lima-vm.autostart.default.plist",
      );
      expect(await mutations()).toEqual([]);
    });

    it.skipIf(noPython)(
      'Lima 2.1 registers with start-at-login; mode plist then swaps it for our LaunchAgent',
      async () => {
        await config();
        const run = await asc(['run', 'launchd'], { FAKE_LIMACTL_VERSION: '2.1.4' });
        expect(run.exitCode).toBe(0);
        expect((await mac.mutatingCalls()).map((argv) => argv.join(' '))).toEqual([
          'start-at-login --enabled=true default',
        ]);
        expect(await plistlib(limas())).toMatchObject({
          ProgramArguments: [limactlLink(), 'start', 'default', '--foreground'],
        });

        await config('{ mode: plist }');
        await clearCalls();
        const swap = await asc(['run', 'launchd', '--json']);
        expect(swap.exitCode).toBe(0);
        expect(rows(swap.stdout)['launchd.registered']?.status).toBe('changed');
        expect(rows(swap.stdout)['launchd.loaded']?.status).toBe('changed');
        expect(await readdir(agents())).toEqual(['io.lima.default.plist']);
        expect(await backupsOf(limas())).toHaveLength(1);
        expect(Object.keys(await mac.launchd.jobs())).toEqual(['io.lima.default']);
        expect(await mutations()).toEqual([
          ['launchctl', 'bootout', `${gui}/io.lima.default`],
          ['launchctl', 'enable', `${gui}/io.lima.default`],
          ['launchctl', 'bootstrap', gui, ours()],
        ]);
      },
    );

    it('no GUI session or not a Mac: skipped with why; no autostart in Lima: failed; nothing changes', async () => {
      await seedLegacy();
      await config();
      const before = await snapshot();
      const run = await asc(['run', 'launchd'], { FAKE_LAUNCHCTL_NO_GUI: '1' });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain(
        `↓ VM default starts at login (one registration) (launchd.registered): skipped: no GUI session: \`launchctl print ${gui}\` exited 112 (Could not find domain for user gui: ${uid}); a LaunchAgent loads only for a user logged in at the screen (run asc from a terminal on the Mac itself (or over Screen Sharing), not over plain ssh)`,
      );
      // mode: lima on a Lima without autostart fails before anything is removed.
      await config('{ mode: lima }');
      const old = await asc(['run', 'launchd'], { FAKE_LIMACTL_VERSION: '0.20.0' });
      expect(old.exitCode).toBe(1);
      expect(old.stdout).toContain(
        "failed: limactl 0.20.0 cannot register Lima's autostart: `limactl start-at-login` came with Lima 0.21.0",
      );
      await sandbox.addBin('uname', '#!/bin/sh\necho Linux\n');
      const linux = await asc(['run', 'launchd.registered']);
      expect(linux.exitCode).toBe(0);
      expect(linux.stdout).toContain(
        '(launchd.registered): skipped: not a Mac (uname -s says linux): launchd and LaunchAgents are macOS only',
      );
      // Nothing changed but asc's own state folder (its run lock), the config and the uname the test wrote.
      const ignored = (key: string) =>
        key.startsWith('home/.local/') || key === 'bin/uname' || key === 'home/.ascrc.yaml';
      const after = await snapshot();
      for (const files of [before, after])
        for (const key of files.keys()) if (ignored(key)) files.delete(key);
      expect(after).toEqual(before);
      expect(await mutations()).toEqual([]);
    });

    it('bad options are config errors with the key path (exit 2), and nothing runs', async () => {
      await config('{ mode: sometimes }');
      const mode = await asc(['run', 'launchd']);
      expect(mode.exitCode).toBe(2);
      expect(mode.stderr).toContain(
        '.ascrc.yaml:3:20: plugins.launchd.mode: expected one of "auto", "lima", "plist", got "sometimes"',
      );
      await config('{ keepAlive: "yes" }');
      const keep = await asc(['run', 'launchd']);
      expect(keep.exitCode).toBe(2);
      expect(keep.stderr).toContain(
        '.ascrc.yaml:3:25: plugins.launchd.keepAlive: expected boolean, got string "yes"',
      );
      expect(await mutations()).toEqual([]);
      expect(await mac.launchd.calls()).toEqual([]);
    });
  });

  describe('Lima 0.20: plist mode', () => {
    beforeEach(() => setUp('0.20.0'));

    it.skipIf(noPython)(
      'with a hand-made legacy plist loaded, one run leaves only our plist, loaded; plistlib reads exactly its keys',
      async () => {
        const legacy = await seedLegacy();
        await config();
        const run = await asc(['run', 'launchd']);
        expect(run.stderr).toBe('');
        expect(run.exitCode).toBe(0);
        expect(statuses(run.stdout)).toMatchObject({
          'launchd.registered': 'changed',
          'launchd.loaded': 'changed',
        });
        expect(run.stdout).toMatch(
          /launchd\.registered: replaced the hand-made plist; its backup is .*\/\.local\/state\/asc\/backups\//,
        );

        expect(await readdir(agents())).toEqual(['io.lima.default.plist']);
        const [backup] = await backupsOf(ours());
        expect(await readFile(backup!, 'utf8')).toBe(legacy);
        const plist = await plistlib(ours());
        const dir = mac.instanceDir('default');
        expect(plist).toEqual({
          Label: 'io.lima.default',
          ProgramArguments: [limactlLink(), 'start', 'default', '--foreground'],
          RunAtLoad: true,
          EnvironmentVariables: {
            PATH: `${mac.brewPrefix}/bin:${mac.brewPrefix}/sbin:/usr/bin:/bin:/usr/sbin:/sbin`,
          },
          StandardOutPath: path.join(dir, 'launchd.stdout.log'),
          StandardErrorPath: path.join(dir, 'launchd.stderr.log'),
          ProcessType: 'Background',
        });
        // The program is absolute, executable, and the prefix link, not the Cellar version it points to.
        const program = (plist.ProgramArguments as string[])[0]!;
        expect(path.isAbsolute(program)).toBe(true);
        await access(program, constants.X_OK);
        expect(program).not.toMatch(/Cellar/);
        expect(await realpath(program)).toMatch(/\/Cellar\/lima\/0\.20\.0\/bin\/limactl$/);
        expect((await stat(ours())).mode & 0o777).toBe(0o644);

        // Loaded the modern way, never with load/unload; the job runs limactl in the foreground.
        expect(await mutations()).toEqual([
          ['launchctl', 'bootout', `${gui}/io.lima.default`],
          ['launchctl', 'enable', `${gui}/io.lima.default`],
          ['launchctl', 'bootstrap', gui, ours()],
        ]);
        const print = await mac.launchctl(['print', `${gui}/io.lima.default`]);
        expect(print.stdout).toContain(
          `\targuments = {\n\t\t${program}\n\t\tstart\n\t\tdefault\n\t\t--foreground\n\t}\n`,
        );
        expect((await mac.launchd.launched()).at(-1)).toEqual({
          label: 'io.lima.default',
          argv: [program, 'start', 'default', '--foreground'],
        });

        // Converged: plan shows nothing, a second run makes no mutating launchctl or limactl call.
        await clearCalls();
        expect((await asc(['plan', 'launchd'])).exitCode).toBe(0);
        const again = await asc(['run', 'launchd', '--json']);
        expect(Object.values(rows(again.stdout)).map((r) => r.status)).toEqual([
          'ok',
          'ok',
          'ok',
          'ok',
          'ok',
        ]);
        expect(rows(again.stdout)['launchd.loaded']?.reason).toBe(
          'loaded, running (pid 40002), last exit code (never exited)',
        );
        expect(await mutations()).toEqual([]);
      },
    );

    it('changing keepAlive: plan shows the diff and changes nothing; the running job reloads only with --yes', async () => {
      await config();
      expect((await asc(['run', 'launchd'])).exitCode).toBe(0);
      await config('{ keepAlive: true }');
      await clearCalls();

      const before = await snapshot();
      const plan = await asc(['plan', 'launchd']);
      expect(plan.exitCode).toBe(3);
      expect(plan.stdout).toContain(
        '(launchd.registered): would change: ~/Library/LaunchAgents/io.lima.default.plist differs from the options',
      );
      expect(plan.stdout).toContain(
        "↓ asc's LaunchAgent io.lima.default is loaded (plist mode) (launchd.loaded): skipped: would run after launchd.registered",
      );
      expect(plan.stdout).toMatch(
        /\+\t<key>KeepAlive<\/key>\n\s+\+\t<dict>\n\s+\+\t\t<key>SuccessfulExit<\/key>\n\s+\+\t\t<false\/>\n\s+\+\t<\/dict>/,
      );
      expect(await snapshot()).toEqual(before);

      const refused = await asc(['run', 'launchd']);
      expect(refused.exitCode).toBe(1);
      expect(statuses(refused.stdout)).toMatchObject({
        'launchd.registered': 'changed',
        'launchd.loaded': 'failed',
      });
      expect(refused.stdout).toContain(
        'failed: io.lima.default runs an older plist, and reloading it restarts the VM',
      );
      expect(refused.stdout).toContain(
        'hint: run `asc run launchd.loaded --yes` to reload it now, or log out and back in',
      );
      expect(await mac.launchd.mutatingCalls()).toEqual([]);

      // With --yes it reloads; the bootstrap right after the bootout races to exit 5 and is retried once.
      const yes = await asc(['run', 'launchd', '--yes'], { FAKE_LAUNCHCTL_BOOTSTRAP_RACE: '1' });
      expect(yes.exitCode).toBe(0);
      expect(statuses(yes.stdout)).toMatchObject({ 'launchd.registered': 'ok', 'launchd.loaded': 'changed' });
      expect(yes.stdout).toContain(
        'launchd.loaded: launchctl bootstrap answered 5 (Input/output error); unloading io.lima.default and trying once more',
      );
      expect(await mac.launchd.mutatingCalls()).toEqual([
        ['bootout', `${gui}/io.lima.default`],
        ['enable', `${gui}/io.lima.default`],
        ['bootstrap', gui, ours()],
        ['bootout', `${gui}/io.lima.default`],
        ['bootstrap', gui, ours()],
      ]);
      expect((await mac.launchd.jobs())['io.lima.default']?.keepAlive).toEqual({ SuccessfulExit: false });
    });

    it('a plist under our label that asc did not write is reported and kept; --yes backs it up and replaces it', async () => {
      const foreign = await sandbox
        .write(
          ours(),
          '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>Label</key>\n\t<string>io.lima.default</string>\n\t<key>ProgramArguments</key>\n\t<array>\n\t\t<string>/usr/local/bin/my-vm-starter</string>\n\t</array>\n</dict>\n</plist>\n',
          0o644,
        )
        .then(() => readFile(ours(), 'utf8'));
      await config();
      const refused = await asc(['run', 'launchd.registered']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stdout).toContain(
        `failed: ${ours()} was not written by asc; asc will not replace it without asking`,
      );
      expect(await readFile(ours(), 'utf8')).toBe(foreign);
      expect(await backupsOf(ours())).toEqual([]);

      const yes = await asc(['run', 'launchd.registered', '--yes']);
      expect(yes.exitCode).toBe(0);
      const [backup] = await backupsOf(ours());
      expect(await readFile(backup!, 'utf8')).toBe(foreign);
      expect(await readFile(ours(), 'utf8')).toContain('<string>--foreground</string>');

      // A file there that is not a plist at all is not silently replaced either.
      await writeFile(ours(), 'launchctl load this please\n');
      const junk = await asc(['run', 'launchd.registered']);
      expect(junk.stdout).toContain(
        'was not written by asc (not a property list (no <plist> element)); asc will not replace it without asking',
      );
    });
  });

  describe('asc doctor rows and asc uninstall tasks, through the test kit against the simulated Mac', () => {
    beforeEach(() => setUp('2.2.0'));

    /** A plan-mode (doctor) or run-mode (uninstall) context whose commands run on the simulated Mac. */
    const kit = (dryRun: boolean): Promise<TestContext> =>
      createTestContext({
        home: sandbox.home,
        env: sandbox.env,
        dryRun,
        id: dryRun ? 'launchd.doctor' : 'launchd.uninstall',
        hostFacts: { uid, brewPrefix: mac.brewPrefix, user: mac.user },
        which: { limactl: path.join(sandbox.bin, 'limactl') },
        exec: async (argv, options) => {
          try {
            const result = await sandbox.exec(argv[0]!, argv.slice(1), { env: options.env });
            return result;
          } catch {
            return undefined;
          }
        },
      });
    const ctx = { config: { instance: 'default', file: undefined, dir: '/' }, home: '/', vm: {} as never };
    const doctor = async (mode = 'auto') => {
      const t = await kit(true);
      const checks = launchdPlugin.doctor!(launchdOptions.parse({ mode }), ctx);
      const found: Record<string, { status: string; message: string; fix?: string }> = {};
      for (const check of checks) found[check.id] = await check.run(t);
      expect(t.commands.filter((c) => c.mutating)).toEqual([]);
      return found;
    };

    it('doctor: the registration, the last exit from launchctl print, the program path after a brew upgrade', async () => {
      expect(await doctor()).toMatchObject({
        registration: { status: 'fail', message: expect.stringMatching(/^nothing starts default at login/) },
      });
      // The user registered Lima's autostart from a versioned Cellar path.
      const cellar = await realpath(limactlLink());
      expect((await sandbox.exec(cellar, ['autostart', 'enable', 'default'])).exitCode).toBe(0);
      let rows = await doctor();
      expect(rows.registration).toEqual({
        status: 'ok',
        message: "Lima's own autostart: ~/Library/LaunchAgents/io.lima-vm.autostart.default.plist",
      });
      expect(rows['last-exit']).toEqual({
        status: 'ok',
        message:
          'io.lima-vm.autostart.default is not loaded in this session: launchd loads it at the next login',
      });
      expect(rows.program).toMatchObject({
        status: 'warn',
        message: expect.stringContaining(`runs the versioned path ${cellar}`),
      });

      await mac.brewUpgradeLima('2.2.1');
      expect(await mac.launchctl(['bootstrap', gui, limas()])).toMatchObject({ exitCode: 0 });
      rows = await doctor();
      expect(rows.program).toMatchObject({ status: 'fail', fix: 'asc run launchd' });
      expect(rows.program?.message).toContain(`runs ${cellar}, which is missing or cannot run`);
      expect(rows['last-exit']).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('(last exit code 78: EX_CONFIG)'),
      });

      // asc run re-registers through the prefix link, which the upgrade kept.
      await config();
      expect((await asc(['run', 'launchd.registered'])).exitCode).toBe(0);
      expect(await readFile(limas(), 'utf8')).toContain(`<string>${limactlLink()}</string>`);
      await mac.launchctl(['bootout', `${gui}/io.lima-vm.autostart.default`]);
      await mac.launchctl(['bootstrap', gui, limas()]);
      await mac.launchd.setJob('io.lima-vm.autostart.default', { state: 'not running', lastExitCode: 1 });
      rows = await doctor();
      expect(rows.program).toEqual({
        status: 'ok',
        message: `~/Library/LaunchAgents/io.lima-vm.autostart.default.plist runs ${limactlLink()}`,
      });
      expect(rows['last-exit']).toEqual({
        status: 'fail',
        message: 'io.lima-vm.autostart.default exited with 1',
        fix: `read ${path.join(mac.instanceDir('default'), 'launchd.stderr.log')}, then \`limactl start default\``,
      });
    });

    it('doctor: two registrations, or a hand-made legacy plist, fail the registration row', async () => {
      await seedLegacy();
      expect((await doctor()).registration).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('io.lima.default.plist is a hand-made plist'),
      });
      await mac.limactl(['autostart', 'enable', 'default']);
      expect((await doctor()).registration).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/^two registrations start default at login/),
      });
    });

    it("uninstall: Lima's autostart that asc registered is unregistered; one the user made is left alone", async () => {
      await config();
      expect((await asc(['run', 'launchd'])).exitCode).toBe(0);
      const [agent, lima] = launchdPlugin.uninstall!(launchdOptions.parse({}), ctx);
      const t = await kit(false);
      expect(await agent!.check(t)).toEqual({
        converged: true,
        reason: '~/Library/LaunchAgents/io.lima.default.plist does not exist',
      });
      expect(await lima!.check(t)).toEqual({
        converged: false,
        reason: "asc registered Lima's autostart: `limactl autostart disable default` would unregister it",
      });
      await clearCalls();
      await lima!.apply(t);
      expect(await lima!.check(t)).toMatchObject({ converged: true });
      expect(existsSync(limas())).toBe(false);
      expect(await mac.mutatingCalls()).toEqual([['autostart', 'disable', 'default']]);
      expect(await mac.launchd.mutatingCalls()).toEqual([['disable', `${gui}/io.lima-vm.autostart.default`]]);

      // The user's own registration: asc has no record of making it.
      await mac.limactl(['autostart', 'enable', 'default']);
      expect(await lima!.check(await kit(false))).toEqual({
        converged: true,
        reason:
          '~/Library/LaunchAgents/io.lima-vm.autostart.default.plist was registered by you, not asc: left alone',
      });
    });

    it("uninstall: asc's LaunchAgent is unloaded, backed up and removed; the hand-made one is not asc's to remove", async () => {
      await config('{ mode: plist }');
      expect((await asc(['run', 'launchd'])).exitCode).toBe(0);
      await mac.launchd.setJob('io.lima.default', { state: 'not running', lastExitCode: 0 });
      const text = await readFile(ours(), 'utf8');
      const [agent] = launchdPlugin.uninstall!(launchdOptions.parse({ mode: 'plist' }), ctx);
      const t = await kit(false);
      expect(await agent!.check(t)).toMatchObject({ converged: false });
      await clearCalls();
      await agent!.apply(t);
      expect(await agent!.check(t)).toEqual({
        converged: true,
        reason: '~/Library/LaunchAgents/io.lima.default.plist does not exist',
      });
      expect(await mac.launchd.mutatingCalls()).toEqual([['bootout', `${gui}/io.lima.default`]]);
      expect(await readdir(agents())).toEqual([]);
      const [backup] = await backupsOf(ours());
      expect(await readFile(backup!, 'utf8')).toBe(text);

      await seedLegacy();
      expect(await agent!.check(await kit(false))).toEqual({
        converged: true,
        reason: '~/Library/LaunchAgents/io.lima.default.plist was not written by asc: left alone',
      });
    });
  });
});
