/**
 * Real programs the docker and onepassword end-to-end tests lean on: the docker CLI of this machine (the
 * guest's, once its fake apt "installs" it), and a real ssh-agent playing 1Password's agent on the Mac.
 */
import { constants, existsSync } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Running, Sandbox } from '../harness/sandbox.ts';

/** The first executable `name` on this machine's PATH (not the sandbox's), or undefined. */
export function programOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

/** 1Password's SSH agent socket on macOS (developer.1password.com/docs/ssh/get-started), under a HOME. */
export const ONEPASSWORD_AGENT = 'Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock';

export interface SshAgent {
  readonly socket: string;
  /** `ssh-add -l` lines of the agent's keys (`256 SHA256:… comment (ED25519)`). */
  readonly keys: string[];
  stop(): Promise<void>;
}

/**
 * A real ssh-agent bound at `socket` (`ssh-agent -D -a`), holding one new ed25519 key. The sandbox tracks
 * it, and `stopAll()` ends it with the rest (its command line names the sandbox).
 */
export async function startSshAgent(sandbox: Sandbox, socket: string, comment: string): Promise<SshAgent> {
  // sockaddr_un holds 108 bytes on Linux; macOS allows 104, which Lima enforces for hostSocket.
  if (Buffer.byteLength(socket) >= 104) {
    throw new Error(
      `startSshAgent: ${socket} is ${Buffer.byteLength(socket)} bytes, over UNIX_PATH_MAX (104)`,
    );
  }
  await mkdir(path.dirname(socket), { recursive: true, mode: 0o700 });
  const agent: Running = sandbox.spawn('ssh-agent', ['-D', '-a', socket]);
  await agent.waitFor(/SSH_AUTH_SOCK=/);
  const key = path.join(path.dirname(socket), `${comment}.key`);
  await rm(key, { force: true });
  await rm(`${key}.pub`, { force: true });
  const keygen = await sandbox.exec('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    comment,
    '-f',
    key,
  ]);
  if (keygen.exitCode !== 0) throw new Error(`ssh-keygen: ${keygen.stderr}`);
  const env = { SSH_AUTH_SOCK: socket };
  const add = await sandbox.exec('ssh-add', [key], { env });
  if (add.exitCode !== 0) throw new Error(`ssh-add: ${add.stderr}`);
  const list = await sandbox.exec('ssh-add', ['-l'], { env });
  await access(socket, constants.W_OK);
  return {
    socket,
    keys: list.stdout.trim().split('\n'),
    async stop() {
      agent.signal('SIGTERM');
      await agent.result;
    },
  };
}
