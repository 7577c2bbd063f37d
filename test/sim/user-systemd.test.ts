// The simulated Ubuntu guest's systemd user manager, loginctl, versioned apt-get and dpkg-query, and the
// stand-in WezTerm mux server: the commands, messages and exit codes the wezterm plugin's mux mode meets.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import {
  createSimulatedMac,
  type GuestShell,
  type SimulatedMac,
  SSHD_PATH,
  sshdAvailable,
  weztermPackage,
} from './index.ts';

const skip = skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server');
const V = '20240203-110809-5046fc22';

describe
  .skipIf(skip)
  .sequential("the guest's systemd user manager, lingering and packages", { timeout: 120_000 }, () => {
    let sandbox: Sandbox;
    let mac: SimulatedMac;
    let guest: GuestShell;
    let home: string;

    beforeAll(async () => {
      sandbox = await createSandbox();
      mac = await createSimulatedMac(sandbox);
      await mac.seedInstance('default', 'cpus: 1\n', { running: true });
      guest = await mac.setupGuestShell('default', {
        packages: {
          wezterm: weztermPackage([V]),
        },
      });
      home = await mac.guestHome('default');
    });
    afterAll(async () => {
      await mac.stopAll();
      await sandbox.cleanup();
    });

    const shell = (script: string) => mac.limactl(['shell', 'default', 'sh', '-c', script]);
    const unitFile = (name: string) => path.join(home, '.config/systemd/user', name);

    test('apt-get installs a pinned version that dpkg-query reports; an unknown version installs nothing', async () => {
      const none = await shell('dpkg-query -W wezterm');
      expect(none.exitCode).toBe(1);
      expect(none.stderr).toBe('dpkg-query: no packages found matching wezterm\n');
      const missing = await shell('sudo -n apt-get install -y wezterm=1.0');
      expect(missing.exitCode).toBe(100);
      expect(missing.stderr).toBe("E: Version '1.0' for 'wezterm' was not found\n");
      expect(await guest.aptInstalls()).toEqual([]);
      expect((await shell(`sudo -n apt-get install -y -qq wezterm=${V}`)).exitCode).toBe(0);
      expect((await shell(`dpkg-query -W -f='\${Version}' wezterm`)).stdout).toBe(V);
      expect((await shell('wezterm --version')).stdout).toBe(`wezterm ${V}\n`);
      expect((await shell('wezterm-mux-server --version')).stdout).toBe(`wezterm-mux-server ${V}\n`);
    });

    test('systemctl --user: enable links the unit, start runs it, a changed file needs daemon-reload, stop ends it', async () => {
      const unit = 'demo.service';
      const absent = await shell(`systemctl --user is-enabled ${unit}`);
      expect(absent.exitCode).toBe(1);
      expect(absent.stderr).toBe(`Failed to get unit file state for ${unit}: No such file or directory\n`);
      const notFound = await shell(`systemctl --user start ${unit}`);
      expect(notFound.exitCode).toBe(5);
      expect(notFound.stderr).toBe(`Failed to start ${unit}: Unit ${unit} not found.\n`);

      const server = path.join(guest.bin, 'wezterm-mux-server');
      const text = `[Service]\nExecStart=${server}\nRestart=on-failure\n\n[Install]\nWantedBy=default.target\n`;
      await shell(`mkdir -p ${path.dirname(unitFile(unit))}`);
      await writeFile(unitFile(unit), text);
      expect((await shell(`systemctl --user is-enabled ${unit}`)).stdout).toBe('disabled\n');
      const enable = await shell(`systemctl --user enable --now ${unit}`);
      expect(enable.stderr).toBe(
        `Created symlink '${path.join(home, '.config/systemd/user/default.target.wants', unit)}' → '${unitFile(unit)}'.\n`,
      );
      const active = await shell(`systemctl --user is-active ${unit}`);
      expect([active.stdout, active.exitCode]).toEqual(['active\n', 0]);
      // The server listens in the runtime dir every session has, and answers the CLI's first exchange.
      expect((await shell('wezterm cli --no-auto-start list')).stdout).toBe(
        'WINID TABID PANEID WORKSPACE SIZE TITLE CWD\n',
      );

      await writeFile(unitFile(unit), text.replace('Restart=on-failure', 'Restart=always'));
      expect((await shell(`systemctl --user restart ${unit}`)).stderr).toContain(
        `Warning: The unit file, source configuration file or drop-ins of ${unit} changed on disk. Run 'systemctl --user daemon-reload' to reload units.`,
      );
      await shell('systemctl --user daemon-reload');
      expect((await shell(`systemctl --user restart ${unit}`)).stderr).toBe('');

      await shell(`systemctl --user disable --now ${unit}`);
      const stopped = await shell(`systemctl --user is-active ${unit}`);
      expect([stopped.stdout, stopped.exitCode]).toEqual(['inactive\n', 3]);
      const cli = await shell('wezterm cli --no-auto-start list');
      expect(cli.exitCode).toBe(1);
      expect(cli.stderr).toMatch(/failed to connect to Socket\(".*\/wezterm\/sock"\)/);
      expect(
        JSON.parse((await readFile(path.join(mac.guestRoot, 'systemctl.log'), 'utf8')).split('\n')[0] ?? ''),
      ).toEqual(['--user', 'is-enabled', unit]);
    });

    test('loginctl: lingering is per user, and changing it takes root', async () => {
      expect((await shell('loginctl show-user "$(id -un)" --property=Linger --value')).stdout).toBe('no\n');
      const denied = await shell('loginctl enable-linger');
      expect(denied.exitCode).toBe(1);
      expect(denied.stderr).toBe('Could not enable linger: Interactive authentication required.\n');
      expect((await shell('sudo -n loginctl enable-linger "$(id -un)"')).exitCode).toBe(0);
      expect((await shell('loginctl show-user "$(id -un)" --property=Linger')).stdout).toBe('Linger=yes\n');
    });

    test('a plain ssh command has the runtime dir and the package folder on PATH, as on Ubuntu', async () => {
      const dir = path.join(sandbox.home, '.lima/default');
      const plain = await sandbox.exec('ssh', [
        '-F',
        path.join(dir, 'ssh.config'),
        '-o',
        'ControlPath=none',
        'lima-default',
        'printf "%s\\n%s" "$XDG_RUNTIME_DIR" "$(command -v wezterm)"',
      ]);
      expect(plain.stdout).toBe(
        `${path.join(mac.guestRoot, 'run/user', String(process.getuid?.() ?? 0))}\n${path.join(guest.bin, 'wezterm')}`,
      );
    });
  });
