// The simulated Mac's launchd side, which needs no sshd: the fake launchctl (state kept between calls, real
// exit codes), the fake plutil, `limactl autostart` / `start-at-login` writing Lima's plist, and the
// Homebrew prefix inside the sandbox.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { createSimulatedMac, type SimulatedMac } from './index.ts';

let sandbox: Sandbox;
let mac: SimulatedMac;
const uid = process.getuid?.() ?? 0;
const gui = `gui/${uid}`;

beforeEach(async () => {
  sandbox = await createSandbox();
  mac = await createSimulatedMac(sandbox);
});

afterEach(async () => {
  await mac.stopAll();
  await sandbox.cleanup();
});

const agent = (
  label: string,
  args: string[],
  extra = '',
  runAtLoad = true,
) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>${label}</string>
	<key>ProgramArguments</key>
	<array>
${args.map((arg) => `\t\t<string>${arg}</string>`).join('\n')}
	</array>${runAtLoad ? '\n\t<key>RunAtLoad</key>\n\t<true/>' : ''}${extra}
</dict>
</plist>
`;

async function writeAgent(label: string, args: string[], mode = 0o644): Promise<string> {
  return sandbox.write(`Library/LaunchAgents/${label}.plist`, agent(label, args), mode);
}

/** Python's plistlib: an independent reader of what the fakes write. */
async function plistlib(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)('python3', [
    '-c',
    'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))',
    file,
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the fake launchctl', () => {
  test('bootstrap loads and starts a RunAtLoad job; a second bootstrap is exit 5; print shows it', async () => {
    const limactl = path.join(mac.brewPrefix, 'bin', 'limactl');
    const file = await writeAgent('io.lima.default', [limactl, 'start', 'default', '--foreground']);
    expect(await mac.launchctl(['bootstrap', gui, file])).toMatchObject({ exitCode: 0, stderr: '' });
    const again = await mac.launchctl(['bootstrap', gui, file]);
    expect(again.exitCode).toBe(5);
    expect(again.stderr).toMatch(/^Bootstrap failed: 5: Input\/output error\n/);

    const print = await mac.launchctl(['print', `${gui}/io.lima.default`]);
    expect(print.exitCode).toBe(0);
    expect(print.stdout).toMatch(new RegExp(`^${gui}/io.lima.default = \\{\n`));
    expect(print.stdout).toContain(`\tpath = ${file}\n`);
    expect(print.stdout).toContain('\tstate = running\n');
    expect(print.stdout).toContain(`\tprogram = ${limactl}\n`);
    expect(print.stdout).toContain(
      `\targuments = {\n\t\t${limactl}\n\t\tstart\n\t\tdefault\n\t\t--foreground\n\t}\n`,
    );
    expect(print.stdout).toContain('\tlast exit code = (never exited)\n');
    // The job is not run: what it would run is recorded.
    expect(await mac.launchd.launched()).toEqual([
      { label: 'io.lima.default', argv: [limactl, 'start', 'default', '--foreground'] },
    ]);
  });

  test('bootout of an unknown job is exit 3, print of one is 113; both known after bootstrap, gone after bootout', async () => {
    const bootout = await mac.launchctl(['bootout', `${gui}/io.lima.default`]);
    expect(bootout).toMatchObject({ exitCode: 3, stderr: 'Boot-out failed: 3: No such process\n' });
    const print = await mac.launchctl(['print', `${gui}/io.lima.default`]);
    expect(print.exitCode).toBe(113);
    expect(print.stderr).toBe(
      `Bad request.\nCould not find service "io.lima.default" in domain for user gui: ${uid}\n`,
    );
    const file = await writeAgent('io.lima.default', ['/bin/true']);
    expect((await mac.launchctl(['bootstrap', gui, file])).exitCode).toBe(0);
    expect((await mac.launchctl(['bootout', `${gui}/io.lima.default`])).exitCode).toBe(0);
    expect((await mac.launchctl(['print', `${gui}/io.lima.default`])).exitCode).toBe(113);
    // The path form answers 5 for a job that is not loaded.
    expect((await mac.launchctl(['bootout', gui, file])).exitCode).toBe(5);
  });

  test('a program launchd cannot exec fails the spawn with 78; setJob changes a job for a test', async () => {
    const file = await writeAgent('io.example.gone', ['/nonexistent/limactl', 'start']);
    expect((await mac.launchctl(['bootstrap', gui, file])).exitCode).toBe(0);
    const print = await mac.launchctl(['print', `${gui}/io.example.gone`]);
    expect(print.stdout).toContain('\tstate = not running\n');
    expect(print.stdout).toContain('\tlast exit code = 78: EX_CONFIG\n');
    await mac.launchd.setJob('io.example.gone', { lastExitCode: 1 });
    expect((await mac.launchctl(['print', `${gui}/io.example.gone`])).stdout).toContain(
      '\tlast exit code = 1\n',
    );
  });

  test('disable persists and blocks bootstrap (119) until enable; print-disabled lists both', async () => {
    const file = await writeAgent('io.lima.default', ['/bin/true']);
    expect((await mac.launchctl(['disable', `${gui}/io.lima.default`])).exitCode).toBe(0);
    const refused = await mac.launchctl(['bootstrap', gui, file]);
    expect(refused.exitCode).toBe(119);
    expect(refused.stderr).toBe(`${file}: Service is disabled\nBootstrap failed: 119: Service is disabled\n`);
    expect((await mac.launchctl(['print-disabled', gui])).stdout).toContain(
      '\t"io.lima.default" => disabled\n',
    );
    expect((await mac.launchctl(['enable', `${gui}/io.lima.default`])).exitCode).toBe(0);
    expect((await mac.launchctl(['bootstrap', gui, file])).exitCode).toBe(0);
    expect(await mac.launchd.disabled()).toEqual({ 'io.lima.default': false });
  });

  test('an invalid plist is "Invalid property list"; a group-writable one has bad permissions', async () => {
    const broken = await sandbox.write(
      'Library/LaunchAgents/io.example.broken.plist',
      'not a plist\n',
      0o644,
    );
    const invalid = await mac.launchctl(['bootstrap', gui, broken]);
    expect(invalid).toMatchObject({ exitCode: 133, stderr: `${broken}: Invalid property list\n` });
    const writable = await writeAgent('io.example.writable', ['/bin/true'], 0o664);
    const perms = await mac.launchctl(['bootstrap', gui, writable]);
    expect(perms).toMatchObject({
      exitCode: 122,
      stderr: 'Bootstrap failed: 122: Path had bad ownership/permissions\n',
    });
    expect(await mac.launchd.jobs()).toEqual({});
  });

  test('the legacy load and unload print failures and exit 0 whatever happened', async () => {
    const file = await writeAgent('io.lima.default', ['/bin/true']);
    expect(await mac.launchctl(['load', file])).toMatchObject({ exitCode: 0, stderr: '' });
    const twice = await mac.launchctl(['load', file]);
    expect(twice.exitCode).toBe(0);
    expect(twice.stderr).toMatch(/^Load failed: 5: Input\/output error\n/);
    expect(Object.keys(await mac.launchd.jobs())).toEqual(['io.lima.default']);
    expect((await mac.launchctl(['unload', file])).exitCode).toBe(0);
    const gone = await mac.launchctl(['unload', file]);
    expect(gone.exitCode).toBe(0);
    expect(gone.stderr).toMatch(/^Unload failed: 5: Input\/output error\n/);
  });

  test('without a GUI login gui/<uid> is missing: print 112, bootstrap 125', async () => {
    const env = { FAKE_LAUNCHCTL_NO_GUI: '1' };
    const file = await writeAgent('io.lima.default', ['/bin/true']);
    const print = await mac.launchctl(['print', gui], { env });
    expect(print).toMatchObject({
      exitCode: 112,
      stderr: `Bad request.\nCould not find domain for user gui: ${uid}\n`,
    });
    const bootstrap = await mac.launchctl(['bootstrap', gui, file], { env });
    expect(bootstrap).toMatchObject({
      exitCode: 125,
      stderr: 'Bootstrap failed: 125: Domain does not support specified action\n',
    });
    expect((await mac.launchctl(['print', gui])).exitCode).toBe(0);
  });

  test('on demand, the first bootstrap after a bootout races to exit 5, and the next one loads', async () => {
    const env = { FAKE_LAUNCHCTL_BOOTSTRAP_RACE: '1' };
    const file = await writeAgent('io.lima.default', ['/bin/true']);
    expect((await mac.launchctl(['bootstrap', gui, file], { env })).exitCode).toBe(0);
    expect((await mac.launchctl(['bootout', `${gui}/io.lima.default`], { env })).exitCode).toBe(0);
    expect((await mac.launchctl(['bootstrap', gui, file], { env })).exitCode).toBe(5);
    expect((await mac.launchctl(['bootstrap', gui, file], { env })).exitCode).toBe(0);
  });

  test('every call is logged; mutatingCalls keeps only those that change launchd', async () => {
    await mac.launchctl(['print', gui]);
    await mac.launchctl(['enable', `${gui}/io.lima.default`]);
    await mac.launchctl(['print-disabled', gui]);
    expect(await mac.launchd.calls()).toEqual([
      ['print', gui],
      ['enable', `${gui}/io.lima.default`],
      ['print-disabled', gui],
    ]);
    expect(await mac.launchd.mutatingCalls()).toEqual([['enable', `${gui}/io.lima.default`]]);
    await mac.launchd.clearCalls();
    expect(await mac.launchd.calls()).toEqual([]);
  });
});

describe('the fake plutil', () => {
  test('-lint prints FILE: OK and exits 0, or the problem and exits 1', async () => {
    const good = await writeAgent('io.lima.default', ['/bin/true']);
    const bad = await sandbox.write('bad.plist', '<plist><dict><key>Label</key>');
    expect(await sandbox.exec('plutil', ['-lint', good])).toMatchObject({
      exitCode: 0,
      stdout: `${good}: OK\n`,
    });
    const lint = await sandbox.exec('plutil', ['-lint', bad]);
    expect(lint.exitCode).toBe(1);
    expect(lint.stderr).toMatch(new RegExp(`^${bad}: .+\n$`));
  });
});

describe('limactl autostart and start-at-login', () => {
  const limaPlist = () => path.join(mac.launchAgents, 'io.lima-vm.autostart.default.plist');

  test('autostart enable writes Lima plist as Lima does, 0644, and enables it through launchctl', async () => {
    await mac.seedInstance('default', 'cpus: 2\n');
    const limactl = path.join(mac.brewPrefix, 'bin', 'limactl');
    const result = await sandbox.exec(limactl, ['autostart', 'enable', 'default']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/level=info msg="Instance `default` registered to start at login"/);
    expect(await plistlib(limaPlist())).toEqual({
      Label: 'io.lima-vm.autostart.default',
      ProgramArguments: [limactl, 'start', 'default', '--foreground'],
      RunAtLoad: true,
      StandardErrorPath: 'launchd.stderr.log',
      StandardOutPath: 'launchd.stdout.log',
      WorkingDirectory: mac.instanceDir('default'),
      ProcessType: 'Background',
    });
    expect((await stat(limaPlist())).mode & 0o777).toBe(0o644);
    expect(await mac.launchd.calls()).toEqual([['enable', `${gui}/io.lima-vm.autostart.default`]]);
    // Registered, not started: nothing is loaded until the next login.
    expect(await mac.launchd.jobs()).toEqual({});

    const off = await mac.limactl(['autostart', 'disable', 'default']);
    expect(off.stderr).toMatch(/msg="Instance `default` unregistered from start at login"/);
    expect(existsSync(limaPlist())).toBe(false);
    expect(await mac.launchd.disabled()).toEqual({ 'io.lima-vm.autostart.default': true });
  });

  test('autostart needs Lima 2.2 and an existing instance', async () => {
    const old = await mac.limactl(['autostart', 'enable', 'default'], {
      env: { FAKE_LIMACTL_VERSION: '2.1.4' },
    });
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toMatch(/level=fatal msg="unknown command \\"autostart\\" for \\"limactl\\""/);
    const missing = await mac.limactl(['autostart', 'enable', 'nope']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/level=fatal msg="instance \\"nope\\" not found"/);
  });

  test('start-at-login (0.21 to 2.1) writes the same plist; an unknown instance is only logged; 0.20 lacks it', async () => {
    await mac.seedInstance('default', 'cpus: 2\n');
    const env = { FAKE_LIMACTL_VERSION: '1.0.3' };
    const on = await mac.limactl(['start-at-login', '--enabled', 'default'], { env });
    expect(on.exitCode).toBe(0);
    expect(on.stderr).toContain(`The autostart file \\"${limaPlist()}\\" has been created or updated`);
    expect(on.stderr).not.toContain('deprecated');
    expect((await plistlib(limaPlist())).ProgramArguments).toEqual([
      path.join(sandbox.bin, 'limactl'),
      'start',
      'default',
      '--foreground',
    ]);
    const unknown = await mac.limactl(['start-at-login', 'nope'], { env });
    expect(unknown.exitCode).toBe(0);
    expect(unknown.stderr).toMatch(/level=info msg="Instance \\"nope\\" not found"/);
    const offAgain = await mac.limactl(['start-at-login', '--enabled=false', 'default'], { env });
    expect(offAgain.stderr).toContain('has been deleted');
    expect(existsSync(limaPlist())).toBe(false);
    const tooOld = await mac.limactl(['start-at-login', 'default'], {
      env: { FAKE_LIMACTL_VERSION: '0.20.0' },
    });
    expect(tooOld.stderr).toMatch(/unknown command \\"start-at-login\\"/);
    const deprecated = await mac.limactl(['start-at-login', 'default']);
    expect(deprecated.stderr).toMatch(
      /^Command "start-at-login" is deprecated, use "limactl autostart enable"/,
    );
  });

  test('without a GUI login, autostart enable fails after writing the file; start-at-login fails from Lima 2.0, before it only warns', async () => {
    await mac.seedInstance('default', 'cpus: 2\n');
    const env = { FAKE_LAUNCHCTL_NO_GUI: '1' };
    const enable = await mac.limactl(['autostart', 'enable', 'default'], { env });
    expect(enable.exitCode).toBe(1);
    expect(enable.stderr).toMatch(/failed to register instance `default` to start at login: exit status 112/);
    // Lima 2.0 to 2.2 (pkg/autostart's manager): an error, exit 1; `update` once the file exists.
    const v2 = await mac.limactl(['start-at-login', 'default'], {
      env: { ...env, FAKE_LIMACTL_VERSION: '2.1.0' },
    });
    expect(v2.exitCode).toBe(1);
    expect(v2.stderr).toMatch(
      /level=fatal msg="failed to update the autostart entry for instance \\"default\\": exit status 112"/,
    );
    const off = await mac.limactl(['start-at-login', '--enabled=false', 'default'], {
      env: { ...env, FAKE_LIMACTL_VERSION: '2.1.3' },
    });
    expect(off.exitCode).toBe(1);
    expect(off.stderr).toMatch(
      /level=fatal msg="failed to unregister the autostart entry for instance `default`: failed to disable the autostart entry for instance `default`: exit status 112"/,
    );
    // Lima 1.x: only a warning, exit 0.
    const old = await mac.limactl(['start-at-login', 'default'], {
      env: { ...env, FAKE_LIMACTL_VERSION: '1.2.3' },
    });
    expect(old.exitCode).toBe(0);
    expect(old.stderr).toMatch(
      /level=warning msg="Can't create an autostart file for instance \\"default\\"" error="exit status 112"/,
    );
  });
});

describe('the Homebrew prefix', () => {
  test('brew --prefix is a folder in the sandbox, laid out as Homebrew does; brewUpgradeLima moves the link', async () => {
    expect((await sandbox.exec('brew', ['--prefix'])).stdout).toBe(`${mac.brewPrefix}\n`);
    const link = path.join(mac.brewPrefix, 'bin', 'limactl');
    expect(await readlink(link)).toBe('../Cellar/lima/2.2.0/bin/limactl');
    expect(await realpath(path.join(sandbox.bin, 'limactl'))).toBe(
      path.join(mac.brewPrefix, 'Cellar', 'lima', '2.2.0', 'bin', 'limactl'),
    );
    expect((await sandbox.exec(link, ['--version'])).stdout).toBe('limactl version 2.2.0\n');
    await mac.brewUpgradeLima('2.2.1');
    expect((await sandbox.exec('limactl', ['--version'])).stdout).toBe('limactl version 2.2.1\n');
    expect(existsSync(path.join(mac.brewPrefix, 'Cellar', 'lima', '2.2.0'))).toBe(false);
    expect(await readFile(path.join(mac.brewPrefix, 'opt', 'lima', 'bin', 'limactl'), 'utf8')).toContain(
      '2.2.1',
    );
  });
});

describe('calendar jobs (StartCalendarInterval)', () => {
  const calendarJob = (label: string, script: string, log: string) =>
    agent(
      label,
      ['/bin/sh', '-c', script],
      `
	<key>StartCalendarInterval</key>
	<array>
		<dict>
			<key>Minute</key>
			<integer>0</integer>
		</dict>
		<dict>
			<key>Minute</key>
			<integer>30</integer>
		</dict>
	</array>
	<key>WorkingDirectory</key>
	<string>/tmp</string>
	<key>StandardOutPath</key>
	<string>${log}</string>
	<key>StandardErrorPath</key>
	<string>${log}</string>`,
      false,
    );

  test('loaded not running; a firing runs the program once with launchd’s environment, its log appended, its exit kept', async () => {
    const log = path.join(sandbox.home, 'job.log');
    const script =
      'echo "home=$HOME cwd=$(pwd) uname=$(uname -s) service=$XPC_SERVICE_NAME"; command -v colima || echo no-colima; exit 3';
    const file = await sandbox.write(
      'Library/LaunchAgents/test.calendar.plist',
      calendarJob('test.calendar', script, log),
      0o644,
    );
    expect((await mac.launchctl(['bootstrap', gui, file])).exitCode).toBe(0);
    expect((await mac.launchd.jobs())['test.calendar']).toMatchObject({
      state: 'not running',
      lastExitCode: null,
      runs: 0,
      calendar: [{ Minute: 0 }, { Minute: 30 }],
    });
    const print = await mac.launchctl(['print', `${gui}/test.calendar`]);
    expect(print.stdout).toContain('\tstate = not running\n');
    expect(print.stdout).toContain('\t\t\tstream = com.apple.launchd.calendarinterval\n');
    expect(print.stdout).toContain('\tlast exit code = (never exited)\n');
    expect(await mac.launchd.launched()).toEqual([]);

    expect(await mac.launchd.fire('test.calendar')).toEqual({
      label: 'test.calendar',
      fired: true,
      exitCode: 3,
    });
    // The Mac's uname through /usr/bin; no Homebrew tool on launchd's default PATH.
    expect(await readFile(log, 'utf8')).toBe(
      `home=${sandbox.home} cwd=/tmp uname=Darwin service=test.calendar\nno-colima\n`,
    );
    expect((await mac.launchd.jobs())['test.calendar']).toMatchObject({
      state: 'not running',
      lastExitCode: 3,
      runs: 1,
    });
    expect((await mac.launchctl(['print', `${gui}/test.calendar`])).stdout).toContain(
      '\tlast exit code = 3\n',
    );

    expect(await mac.launchd.wake()).toEqual([{ label: 'test.calendar', fired: true, exitCode: 3 }]);
    expect((await readFile(log, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);

    expect((await mac.launchctl(['bootout', `${gui}/test.calendar`])).exitCode).toBe(0);
    await expect(mac.launchd.fire('test.calendar')).rejects.toThrow('test.calendar is not loaded');
    expect((await mac.launchctl(['bootout', `${gui}/test.calendar`])).exitCode).toBe(3);
  });

  test('a job without a calendar is never fired; Homebrew tools are in its prefix', async () => {
    const file = await writeAgent('test.runatload', [path.join(mac.brewPrefix, 'bin', 'limactl'), 'start']);
    expect((await mac.launchctl(['bootstrap', gui, file])).exitCode).toBe(0);
    await expect(mac.launchd.fire('test.runatload')).rejects.toThrow('has no StartCalendarInterval');
    expect(await mac.launchd.wake()).toEqual([]);
    for (const tool of ['brew', 'colima', 'op', 'lima', 'limactl'])
      expect(existsSync(path.join(mac.brewPrefix, 'bin', tool))).toBe(true);
  });
});
