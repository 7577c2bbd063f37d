// The wezterm plugin's mux mode on the simulated Mac: `wezterm --version` on the Mac, a guest whose
// systemd user manager, loginctl and apt/dpkg are fakes with the real tools' commands, messages and exit
// codes, a stand-in wezterm-mux-server on the real socket path, and the Mac's way in, the proxy command
// WezTerm runs (`ssh lima-default wezterm cli proxy`), through the real OpenSSH to that socket.
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proxyCommand } from '../../plugins/wezterm/mux.ts';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { bindingsByKeys, evaluateWezTermConfig } from '../harness/wezterm-lua.ts';
import {
  createSimulatedMac,
  type GuestShell,
  type SimulatedMac,
  SSHD_PATH,
  sshdAvailable,
  weztermPackage,
} from '../sim/index.ts';
import { frame, PDU, parseCodecVersionResponse, takeFrame } from '../sim/lib/mux-codec.mjs';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');

const OLD = '20230712-072601-f4abf8fd';
const STABLE = '20240203-110809-5046fc22';
const UNIT = 'asc-wezterm-mux.service';
const MAIN_LUA = [
  "local wezterm = require('wezterm')",
  'local config = wezterm.config_builder()',
  "config.keys = { { key = 'd', mods = 'CMD', action = wezterm.action.SplitHorizontal({}) } }",
  'return config',
  '',
].join('\n');

describe.skipIf(skip).sequential('the wezterm mux mode on a simulated Mac', { timeout: 300_000 }, () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let guest: GuestShell;
  let cwd: string;

  beforeEach(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    cwd = path.join(sandbox.home, 'sysinit');
    guest = await mac.setupGuestShell('default', {
      packages: {
        wezterm: weztermPackage([OLD, STABLE]),
      },
    });
    await macWezterm(OLD);
    await sandbox.write('.config/wezterm/wezterm.lua', MAIN_LUA);
    await config(true);
  });
  afterEach(async () => {
    await mac.stopAll();
    await sandbox.cleanup();
  });

  /** WezTerm.app's CLI on the Mac, at `version`. */
  const macWezterm = (version: string) => mac.installWezterm({ version });
  const config = (mux: boolean) =>
    sandbox.write('sysinit/.ascrc.yaml', `plugins:\n  lima: {}\n  wezterm:\n    mux: ${mux}\n`);
  const asc = (args: string[]) => sandbox.asc(args, { cwd, timeoutMs: 240_000 });
  /** `asc run all --yes`, which must succeed (its output in the failure when it does not). */
  const converge = async () => {
    const run = await asc(['run', 'all', '--yes']);
    expect(run.exitCode, run.stdout).toBe(0);
    return run;
  };
  const lima = (...args: string[]) => sandbox.exec('lima', args, { timeoutMs: 120_000 });
  const statuses = (stdout: string) =>
    Object.fromEntries([...stdout.matchAll(/\(([a-z]+\.[a-z-]+)\): (\w+)/g)].map((m) => [m[1], m[2]]));
  const guestRoot = () => path.join(sandbox.root, 'guest');
  const lingering = () => existsSync(path.join(guestRoot(), 'var/lib/systemd/linger', userInfo().username));
  const systemctlCalls = async () =>
    (await readFile(path.join(guestRoot(), 'systemctl.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
  const show = async (property: string) =>
    (await lima('systemctl', '--user', 'show', UNIT, `--property=${property}`, '--value')).stdout.trim();

  /**
   * What the Mac's WezTerm does to attach: run the unix domain's proxy_command and make the mux
   * protocol's first exchange through it. Resolves with the server's version string.
   */
  const attachFromMac = () =>
    new Promise<string>((resolve, reject) => {
      const [file = 'ssh', ...args] = proxyCommand(sandbox.home, 'default');
      const child = spawn(file, args, {
        env: { ...process.env, ...sandbox.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = Buffer.alloc(0);
      let err = '';
      child.stderr.on('data', (chunk) => {
        err += chunk;
      });
      child.stdout.on('data', (chunk: Buffer) => {
        out = Buffer.concat([out, chunk]);
        const got = takeFrame(out);
        if (!got) return;
        child.stdin.end();
        if (got.ident !== PDU.GetCodecVersionResponse) reject(new Error(`PDU ${got.ident}`));
        else resolve(parseCodecVersionResponse(got.data).version);
      });
      child.on('exit', (code) => reject(new Error(`the proxy exited ${code}: ${err}`)));
      child.stdin.write(frame(PDU.GetCodecVersion, 7));
    });

  it("installs the Mac's version, runs it as a user unit with lingering, reachable from the Mac; a second run changes nothing", async () => {
    expect(lingering()).toBe(false);
    const run = await converge();
    expect(run.stderr).toBe('');
    expect(statuses(run.stdout)).toMatchObject({
      'wezterm.mux-package': 'changed',
      'wezterm.mux-linger': 'changed',
      'wezterm.mux-unit': 'changed',
      'wezterm.mux-attach': 'ok',
    });
    expect(await guest.aptInstalls()).toEqual([`wezterm=${OLD}`]);
    expect((await lima('dpkg-query', '-W', `-f=\${Version}`, 'wezterm')).stdout).toBe(OLD);
    expect(lingering()).toBe(true);
    expect((await lima('systemctl', '--user', 'is-enabled', UNIT)).stdout.trim()).toBe('enabled');
    expect((await lima('systemctl', '--user', 'is-active', UNIT)).stdout.trim()).toBe('active');
    const unit = await readFile(
      path.join(await mac.guestHome('default'), '.config/systemd/user', UNIT),
      'utf8',
    );
    expect(unit).toContain(`ExecStart=${path.join(guest.bin, 'wezterm-mux-server')}\n`);
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('WantedBy=default.target\n');
    // The stand-in listens where the real server does, the default unix domain's socket in the runtime dir.
    expect(
      existsSync(path.join(guestRoot(), 'run/user', String(process.getuid?.() ?? 0), 'wezterm/sock')),
    ).toBe(true);
    expect(await attachFromMac()).toBe(OLD);

    // The config WezTerm gets, from a real Lua VM: the unix domain with the very proxy command above, the
    // SSH domain under its other name, WezTerm's own `unix` domain kept, and the keys opening tabs in the mux.
    const evaluated = await evaluateWezTermConfig(await sandbox.read('.config/wezterm/wezterm.lua'), {
      ascalon: await sandbox.read('.config/wezterm/ascalon.lua'),
    });
    expect(evaluated.unix_domains).toEqual([
      { name: 'unix' },
      { name: 'ascalon', proxy_command: proxyCommand(sandbox.home, 'default'), no_serve_automatically: true },
    ]);
    expect(evaluated.ssh_domains).toContainEqual({
      name: 'ascalon-ssh',
      remote_address: 'lima-default',
      multiplexing: 'None',
    });
    expect((evaluated.ssh_domains ?? []).filter((d) => d.name === 'ascalon')).toEqual([]);
    const keys = bindingsByKeys(evaluated.keys);
    expect(keys.get('T SUPER')).toEqual([{ action: 'SpawnTab', arg: { DomainName: 'ascalon' } }]);
    expect(keys.get('d SUPER')).toEqual([{ action: 'SplitHorizontal', arg: {} }]);

    const before = (await systemctlCalls()).length;
    const sudoBefore = (await guest.sudoCalls()).length;
    const again = await asc(['run', 'all']);
    expect(again.exitCode).toBe(0);
    expect(Object.values(statuses(again.stdout)).filter((s) => s !== 'ok')).toEqual([]);
    expect((await guest.sudoCalls()).length).toBe(sudoBefore);
    expect(
      (await systemctlCalls())
        .slice(before)
        .filter(
          (argv) => !argv.includes('is-active') && !argv.includes('is-enabled') && !argv.includes('show'),
        ),
    ).toEqual([]);
  });

  it('a newer WezTerm on the Mac: plan shows the upgrade, run installs it and restarts the server', async () => {
    await converge();
    await macWezterm(STABLE);
    const plan = await asc(['plan', 'phase2']);
    expect(plan.stdout).toContain(
      `wezterm ${OLD} in the VM, ${STABLE} on the Mac: it would be upgraded to ${STABLE}, and the mux server restarted (the sessions in it end)`,
    );
    const pid = await show('MainPID');
    const run = await asc(['run', 'phase2']);
    expect(run.exitCode).toBe(0);
    expect(statuses(run.stdout)).toMatchObject({
      'wezterm.mux-package': 'changed',
      'wezterm.mux-unit': 'ok',
    });
    expect(await guest.aptInstalls()).toEqual([`wezterm=${OLD}`, `wezterm=${STABLE}`]);
    expect(await show('MainPID')).not.toBe(pid);
    expect(await attachFromMac()).toBe(STABLE);
  });

  it('a version the APT repository lacks (a nightly on the Mac) fails with what to do, and installs nothing', async () => {
    await macWezterm('20250213-133349-ee0c04e7');
    const run = await asc(['run', 'all', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      "WezTerm's APT repository has no wezterm 20250213-133349-ee0c04e7, the Mac's version",
    );
    expect(run.stdout).toContain('install its .deb in the VM by hand');
    expect(await guest.aptInstalls()).toEqual([]);
  });

  it('a killed server is restarted by its unit', async () => {
    await converge();
    const pid = Number(await show('MainPID'));
    expect(pid).toBeGreaterThan(0);
    const restarted = new Promise<void>((resolve) => {
      const dir = path.join(guestRoot(), 'run/fake-user-systemd');
      const watcher = watch(dir, async () => {
        const state = JSON.parse(await readFile(path.join(dir, `${UNIT}.json`), 'utf8').catch(() => '{}'));
        if (state.nRestarts === 1 && state.active === 'active') {
          watcher.close();
          resolve();
        }
      });
    });
    process.kill(pid, 'SIGKILL');
    await restarted;
    expect(await show('NRestarts')).toBe('1');
    expect(Number(await show('MainPID'))).not.toBe(pid);
    expect(await attachFromMac()).toBe(OLD);
  });

  it('a Mac sleep leaves the mux reachable; a stopped server fails doctor, and asc run starts it again without a VM restart', async () => {
    await converge();
    await mac.sleep('default');
    // The proxy makes its own connection: Lima's dead master is not in its way.
    expect(await attachFromMac()).toBe(OLD);
    expect((await asc(['doctor'])).stdout).toMatch(
      /✔ wezterm\.mux-attach +the mux server answers over ssh lima-default/,
    );

    await lima('systemctl', '--user', 'stop', UNIT);
    const sick = await asc(['doctor']);
    expect(sick.exitCode).toBe(1);
    expect(sick.stdout).toContain(`${UNIT} is inactive`);
    expect(sick.stdout).toMatch(
      /`wezterm cli list` over ssh lima-default failed \(exit 1\): .*failed to connect to Socket/,
    );

    await mac.clearCallLog();
    const heal = await asc(['run', 'phase2']);
    expect(heal.exitCode).toBe(0);
    expect(statuses(heal.stdout)).toMatchObject({
      'wezterm.mux-unit': 'changed',
      'wezterm.mux-attach': 'ok',
    });
    expect(await mac.mutatingCalls()).toEqual([]);
    expect((await asc(['doctor'])).exitCode).toBe(0);
    expect(await attachFromMac()).toBe(OLD);
  });

  it('turning mux on changes no lima.yaml (no restart); uninstall removes the unit, the lingering asc turned on and ascalon.lua, and keeps the package, said so', async () => {
    await config(false);
    await converge();
    const limaYaml = await sandbox.read('.lima/default/lima.yaml');
    await config(true);
    await mac.clearCallLog();
    await converge();
    expect(await sandbox.read('.lima/default/lima.yaml')).toBe(limaYaml);
    expect(await mac.mutatingCalls()).toEqual([]);

    const out = await asc(['uninstall', '--yes']);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain(`wezterm.mux-package: kept: wezterm ${OLD} in the VM`);
    expect(existsSync(path.join(await mac.guestHome('default'), '.config/systemd/user', UNIT))).toBe(false);
    expect((await lima('systemctl', '--user', 'is-active', UNIT)).stdout.trim()).toBe('inactive');
    expect(
      existsSync(
        path.join(await mac.guestHome('default'), '.config/systemd/user/default.target.wants', UNIT),
      ),
    ).toBe(false);
    expect(lingering()).toBe(false);
    expect((await lima('dpkg-query', '-W', `-f=\${Version}`, 'wezterm')).stdout).toBe(OLD);
    expect(await sandbox.read('.config/wezterm/wezterm.lua')).toBe(MAIN_LUA);
    expect(existsSync(path.join(sandbox.home, '.config/wezterm/ascalon.lua'))).toBe(false);
  });

  it('lingering the user had before asc stays on after uninstall', async () => {
    await sandbox.exec('mkdir', ['-p', path.join(guestRoot(), 'var/lib/systemd/linger')]);
    await sandbox.exec('touch', [path.join(guestRoot(), 'var/lib/systemd/linger', userInfo().username)]);
    const run = await asc(['run', 'all', '--yes']);
    expect(statuses(run.stdout)).toMatchObject({ 'wezterm.mux-linger': 'ok' });
    expect((await asc(['uninstall', '--yes'])).exitCode).toBe(0);
    expect(lingering()).toBe(true);
  });
});
