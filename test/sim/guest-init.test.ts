// The simulated guest's shells read the guest's own init files, never the dotfiles of the machine's OS user
// (which can hold anything: a pyenv init whose background rehash outlived `limactl stop`, an `exec zsh`, an
// echo that breaks scp). To see what a session reads without touching the real home, sshd runs in a
// private mount namespace with a sandbox folder bound over the OS user's home (root only: `unshare -m`),
// and each dotfile there and in the guest home logs its name when a shell reads it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { skipUnless } from '../harness/require.ts';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';
import { shortTmpBase } from '../harness/short-tmp.ts';
import {
  createSimulatedMac,
  guestOsAvailable,
  type SimulatedMac,
  SSHD_PATH,
  sshdAvailable,
} from './index.ts';

const osHome = userInfo().homedir;
const within = (dir: string, p: string) => p === dir || p.startsWith(`${dir}/`);
const skip =
  skipUnless(sshdAvailable(), SSHD_PATH, 'apt-get install openssh-server') ||
  skipUnless(guestOsAvailable(), 'a private mount namespace (unshare -m)', 'run the tests as root') ||
  // The bind would hide a sandbox kept inside the OS user's home.
  skipUnless(!within(osHome, shortTmpBase()), `a temporary folder outside ${osHome}`, 'set TMPDIR=/tmp');

/** A dotfile that appends `<who>:<name>` to the log when a shell sources it (or sshd runs it). */
const marker = (log: string, who: string, name: string) => `echo '${who}:${name}' >> '${log}'\n`;

describe.skipIf(skip).sequential('the guest shell reads the guest home, not the OS user’s', () => {
  let sandbox: Sandbox;
  let mac: SimulatedMac;
  let log: string;
  let guestHome: string;
  let sshConfig: string;

  beforeAll(async () => {
    sandbox = await createSandbox();
    mac = await createSimulatedMac(sandbox);
    log = path.join(sandbox.root, 'dotfiles.log');
    // The OS user's home as sshd and its sessions see it: every file a shell or sshd could read there.
    const osDotfiles = path.join(sandbox.root, 'os-home');
    await mkdir(path.join(osDotfiles, '.ssh'), { recursive: true });
    for (const name of ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.zshenv', '.ssh/rc']) {
      await writeFile(path.join(osDotfiles, name), marker(log, 'os', name));
    }
    const sshd = path.join(sandbox.root, 'sshd-over-os-home');
    await writeFile(
      sshd,
      [
        '#!/bin/sh',
        '# sshd in a private mount namespace where the sandbox folder os-home is the OS user’s home.',
        `exec unshare -m -- /bin/sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$0" "$@"' \\`,
        `  '${SSHD_PATH}' '${osDotfiles}' '${osHome}' "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await sandbox.write('vm.yaml', 'cpus: 1\n');
    expect((await mac.limactl(['create', '--tty=false', '--name', 'default', 'vm.yaml'])).exitCode).toBe(0);
    guestHome = await mac.guestHome('default');
    await mkdir(guestHome, { recursive: true });
    // The guest's own: Ubuntu's skeleton has both; a login shell reads ~/.profile (no ~/.bash_profile here).
    for (const name of ['.bashrc', '.profile']) {
      await writeFile(path.join(guestHome, name), marker(log, 'guest', name));
    }
    const start = await mac.limactl(['start', '--tty=false', 'default'], { env: { FAKE_SIM_SSHD: sshd } });
    expect(start.exitCode, start.stderr).toBe(0);
    sshConfig = path.join(mac.instanceDir('default'), 'ssh.config');
  });

  afterAll(async () => {
    await mac?.stopAll();
    await sandbox?.cleanup();
  });

  /** What the shells of one session read: the log's lines since the last call. */
  const readSince = async () => {
    const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    await writeFile(log, '');
    return lines;
  };

  test('the sessions see the sandbox’s dotfiles as the OS user’s', async () => {
    // Without this, the other tests would pass whatever the sessions read.
    const cat = await sandbox.exec('ssh', ['-F', sshConfig, 'lima-default', `cat ${osHome}/.bashrc`]);
    expect(cat.stdout).toBe(marker(log, 'os', '.bashrc'));
  });

  test('plain ssh: the guest home is HOME and the working folder; bash reads the guest’s ~/.bashrc only', async () => {
    await readSince();
    const ssh = await sandbox.exec('ssh', ['-F', sshConfig, 'lima-default', 'echo "$HOME"; pwd']);
    // bash run by sshd reads ~/.bashrc (Debian's and Ubuntu's bash are built with SSH_SOURCE_BASHRC).
    expect({ ...ssh, read: await readSince() }).toEqual({
      exitCode: 0,
      stdout: `${guestHome}\n${guestHome}\n`,
      stderr: '',
      read: ['guest:.bashrc'],
    });
  });

  test('limactl shell: sshd’s bash reads ~/.bashrc, the login shell it execs the guest’s ~/.profile', async () => {
    await readSince();
    const shell = await mac.limactl(['shell', 'default', 'sh', '-c', 'echo "$HOME $SHELL"']);
    expect({ ...shell, read: await readSince() }).toEqual({
      exitCode: 0,
      stdout: `${guestHome} /bin/bash\n`,
      stderr: '',
      read: ['guest:.bashrc', 'guest:.profile'],
    });
  });

  test('a session without a command is the guest user’s login shell, in the guest home', async () => {
    await readSince();
    const login = await sandbox.exec('ssh', ['-T', '-F', sshConfig, 'lima-default'], { input: 'pwd\n' });
    expect({ ...login, read: await readSince() }).toEqual({
      exitCode: 0,
      stdout: `${guestHome}\n`,
      stderr: '',
      read: ['guest:.profile'],
    });
  });

  test('scp (sftp-server, run by the guest shell) copies a relative path into the guest home', async () => {
    const file = await sandbox.write('note.txt', 'hello\n');
    const scp = await sandbox.exec('scp', ['-F', sshConfig, file, 'lima-default:note.txt']);
    expect(scp).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await readFile(path.join(guestHome, 'note.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(path.join(sandbox.root, 'os-home', 'note.txt'))).toBe(false);
  });
});
