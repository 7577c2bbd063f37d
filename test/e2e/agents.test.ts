// asc's own LaunchAgents on a simulated Mac, without a VM: the heal agent registered by the launchd plugin,
// fired as launchd fires a calendar job (test/sim/bin/launchd-fire.mjs: the program runs with the job's
// environment and log), and read back by the fake plutil and by Python's plistlib. The targets are the
// user's own tasks here; test/e2e/heal.test.ts heals real forwards after a sleep.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac } from '../sim/index.ts';

const noPython = skipUnless(
  spawnSync('python3', ['-c', 'import plistlib']).status === 0,
  'python3 (its plistlib reads the plists)',
  'apt-get install python3',
);

const LABEL = 'io.ascalon.default.launchd.heal';
/** A LaunchAgent of the user's own, there before asc: it must be there, byte for byte, after uninstall. */
const COLIMA_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>homebrew.mxcl.colima</string>
	<key>ProgramArguments</key>
	<array>
		<string>/opt/homebrew/opt/colima/bin/colima</string>
		<string>start</string>
		<string>-f</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
</dict>
</plist>
`;

describe.skipIf(noPython).sequential("asc's heal agent on a simulated Mac", { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let project: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    await mac.seedInstance('default', 'cpus: 2\nmemory: 4GiB\ndisk: 20GiB\n');
    await sandbox.write('Library/LaunchAgents/homebrew.mxcl.colima.plist', COLIMA_PLIST, 0o644);
    project = path.join(sandbox.home, 'project');
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  const config = (heal: string) =>
    sandbox.write(
      'project/.ascrc.yaml',
      `plugins:
  lima: {}
  launchd:
    heal: ${heal}
tasks:
  - id: marks.root
    check: test -f root
    apply: touch root
  - id: marks.leaf
    needs: [marks.root]
    check: test -f leaf
    apply: touch leaf
`,
    );
  const asc = (args: string[]) => sandbox.asc(args, { cwd: project });
  const plistFile = () => path.join(mac.launchAgents, `${LABEL}.plist`);
  const log = () => path.join(sandbox.home, 'Library', 'Logs', 'asc', `${LABEL}.log`);
  const readLog = () => readFile(log(), 'utf8').catch(() => '');
  const launchAgents = async () =>
    new Map([...(await sandbox.snapshot())].filter(([key]) => key.startsWith('home/Library/LaunchAgents/')));
  const plistlib = async (file: string) => {
    const { stdout } = await promisify(execFile)('python3', [
      '-c',
      'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))',
      file,
    ]);
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it('registers a calendar agent that plutil and plistlib read; fired, it applies its target and no need; a second run registers nothing; uninstall leaves ~/Library/LaunchAgents as it was', async () => {
    const before = await launchAgents();
    await config('{ targets: [marks.leaf] }');

    const plan = await asc(['plan', 'launchd.agents']);
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain(
      `~/Library/LaunchAgents/${LABEL}.plist (heal the VM's socket forwards (marks.leaf)) would be written and loaded`,
    );
    expect(plan.stdout).toContain('+\t<key>StartCalendarInterval</key>');
    expect(existsSync(plistFile())).toBe(false);

    // With Lima's own autostart beside it (lima mode).
    const run = await asc(['run', 'launchd']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/\(launchd\.agents\): changed/);
    const lint = await sandbox.exec('plutil', ['-lint', plistFile()]);
    expect([lint.exitCode, lint.stdout]).toEqual([0, `${plistFile()}: OK\n`]);
    const plist = await plistlib(plistFile());
    expect(plist).not.toHaveProperty('StartInterval');
    expect(plist).not.toHaveProperty('RunAtLoad');
    expect(plist.StartCalendarInterval).toEqual(
      [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55].map((m) => ({ Minute: m })),
    );
    const args = plist.ProgramArguments as string[];
    // No shell and no PATH lookup: Node and asc's script by absolute paths, then the config asc ran with.
    expect(path.isAbsolute(args[0] ?? '')).toBe(true);
    expect(args.slice(2)).toEqual([
      '--config',
      path.join(project, '.ascrc.yaml'),
      'run',
      'marks.leaf',
      '--unattended',
    ]);
    expect(plist.WorkingDirectory).toBe(project);
    expect(plist.StandardOutPath).toBe(log());
    expect(plist.StandardErrorPath).toBe(log());
    expect((await mac.launchd.jobs())[LABEL]).toMatchObject({ state: 'not running', lastExitCode: null });

    const list = await asc(['list']);
    expect(list.stdout).toContain('  launchd.heal  every 5 minutes: asc run marks.leaf --unattended');

    // marks.root drifts: the agent checks it, never applies it, and so skips marks.leaf. Nothing to log.
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ fired: true, exitCode: 0 });
    expect(existsSync(path.join(project, 'root'))).toBe(false);
    expect(existsSync(path.join(project, 'leaf'))).toBe(false);
    expect(await readLog()).toBe('');
    // With its need converged, the target is applied, and the log says so, with the time.
    await writeFile(path.join(project, 'root'), '');
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ fired: true, exitCode: 0 });
    expect(existsSync(path.join(project, 'leaf'))).toBe(true);
    // The recap's time is `850ms` or, on a loaded machine, `1.2s`.
    expect(await readLog()).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z ✔ marks\.leaf: changed: check exited 1\n\d{4}-[^ ]+ run: 1 ok, 1 changed, 0 failed, 0 skipped in (\d+ms|\d+\.\ds)\n$/,
    );
    expect((await mac.launchd.jobs())[LABEL]).toMatchObject({
      state: 'not running',
      lastExitCode: 0,
      runs: 2,
    });

    await mac.launchd.clearCalls();
    const again = await asc(['run', 'launchd']);
    expect(again.stdout).toMatch(/\(launchd\.agents\): ok/);
    expect(await mac.launchd.mutatingCalls()).toEqual([]);

    const doctor = await asc(['doctor']);
    expect(doctor.stdout).toMatch(
      /✔ launchd\.agents\.launchd\.heal +io\.ascalon\.default\.launchd\.heal is loaded, every 5 minutes; its last run succeeded/,
    );

    const uninstall = await asc(['uninstall', '--yes']);
    expect(uninstall.exitCode).toBe(0);
    expect(uninstall.stdout).toMatch(/asc's scheduled agents are removed \(launchd\.agents\): changed/);
    expect(await launchAgents()).toEqual(before);
    expect((await mac.launchd.jobs())[LABEL]).toBeUndefined();
    expect((await asc(['uninstall', '--plan'])).stdout).toContain('nothing to undo');
  });

  it('while another asc run holds the lock, a firing exits 0 without a word and changes nothing', async () => {
    await config('{ targets: [marks.leaf] }');
    await writeFile(path.join(project, 'root'), '');
    expect((await asc(['run', 'launchd.agents'])).exitCode).toBe(0);
    const lock = path.join(sandbox.home, '.local', 'state', 'asc', 'run.lock');
    // A live process on this host holds it: this test's own.
    await writeFile(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        since: new Date().toISOString(),
        command: 'asc run all',
      }),
    );
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ fired: true, exitCode: 0 });
    expect(existsSync(path.join(project, 'leaf'))).toBe(false);
    expect(await readLog()).toBe('');
    expect((await mac.launchd.jobs())[LABEL]?.lastExitCode).toBe(0);
    await rm(lock);
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ exitCode: 0 });
    expect(existsSync(path.join(project, 'leaf'))).toBe(true);
  });

  it('a failing target exits 1 and is logged once while it fails the same way; heal off removes the agent', async () => {
    await sandbox.write(
      'project/.ascrc.yaml',
      'plugins:\n  lima: {}\n  launchd:\n    heal: { every: 15, targets: [broken.task] }\ntasks:\n  - id: broken.task\n    check: "false"\n    apply: echo no disk >&2; exit 4\n',
    );
    expect((await asc(['run', 'launchd.agents'])).exitCode).toBe(0);
    expect((await plistlib(plistFile())).StartCalendarInterval).toEqual(
      [0, 15, 30, 45].map((m) => ({ Minute: m })),
    );
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ exitCode: 1 });
    const first = await readLog();
    expect(first).toMatch(/✖ broken\.task: failed: .*exit code 4/);
    expect(await mac.launchd.fire(LABEL)).toMatchObject({ exitCode: 1 });
    expect(await readLog()).toBe(first);
    const doctor = await asc(['doctor']);
    expect(doctor.stdout).toMatch(
      /⚠ launchd\.agents\.launchd\.heal +io\.ascalon\.default\.launchd\.heal's last run exited 1/,
    );

    await sandbox.write(
      'project/.ascrc.yaml',
      'plugins:\n  lima: {}\n  launchd:\n    heal: { enabled: false }\n',
    );
    const off = await asc(['run', 'launchd.agents']);
    expect(off.stdout).toMatch(/\(launchd\.agents\): changed/);
    expect(existsSync(plistFile())).toBe(false);
    expect((await mac.launchd.jobs())[LABEL]).toBeUndefined();
    expect((await asc(['list'])).stdout).not.toContain('launchd.heal');
  });

  it("with asc's records lost, its own plist is recorded again without a reload, and uninstall still finds it", async () => {
    await config('{ targets: [marks.leaf] }');
    expect((await asc(['run', 'launchd.agents'])).exitCode).toBe(0);
    await rm(path.join(sandbox.home, '.local', 'state', 'asc', 'plugins', 'launchd.json'));
    const plan = await asc(['plan', 'launchd.agents']);
    expect(plan.stdout).toContain(
      `asc has no record of ~/Library/LaunchAgents/${LABEL}.plist: it would be recorded`,
    );
    await mac.launchd.clearCalls();
    expect((await asc(['run', 'launchd.agents'])).stdout).toMatch(/\(launchd\.agents\): changed/);
    expect(await mac.launchd.mutatingCalls()).toEqual([]);
    expect((await asc(['uninstall', '--yes'])).exitCode).toBe(0);
    expect(existsSync(plistFile())).toBe(false);
  });
});
