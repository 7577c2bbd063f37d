// What a failed guest facts read says: the fact it stopped at and limactl's last line, not the script.
import { describe, expect, it } from 'vitest';
import { createOnceCache } from '../once.ts';
import type { AscExec } from '../types.ts';
import { createGuest } from './guest.ts';
import { createGuestGate } from './guest-gate.ts';

const factScripts = { 'lima.home': 'printf %s "$HOME"', 'docker.probe': 'docker version', 'x.y': 'true' };

/** A round trip that printed the first fact, began the second, and lost the VM (ssh's exit 255). */
function lostAtSecondFact(): AscExec {
  return {
    query: async (_file, args) => {
      const marker = /'(asc-fact-[0-9a-f]+)'/.exec(args.at(-1) ?? '')?.[1];
      return {
        command: 'limactl shell …',
        exitCode: 255,
        stdout: `\n${marker} lima.home\n/home/me.guest\n${marker} docker.probe\n`,
        stderr: 'time="…" level=info msg="…"\nConnection to 127.0.0.1 closed by remote host.',
      };
    },
    run: async () => {
      throw new Error('not used');
    },
    which: async () => undefined,
  };
}

const guest = (verbose: boolean) => {
  const { once, forget } = createOnceCache();
  return createGuest({
    instance: 'default',
    exec: lostAtSecondFact(),
    once,
    forget,
    factScripts,
    gate: createGuestGate(),
    owner: 'lima.running',
    verbose,
  });
};

describe('a failed guest facts read', () => {
  it("names the fact it stopped at and limactl's last line, and not the script", async () => {
    const error = await guest(false)
      .facts()
      .catch((e: Error & { hint?: string }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'could not read facts from the VM (at docker.probe): limactl shell exited 255: Connection to 127.0.0.1 closed by remote host.',
    );
    expect((error as { hint?: string }).hint).toBe(
      'is the VM running? try `limactl shell default true`; -v shows the script',
    );
  });

  it('with -v, shows the script too', async () => {
    const error = (await guest(true)
      .facts()
      .catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^could not read facts from the VM \(at docker\.probe\)/);
    expect(error.message).toContain('( docker version ) 2>/dev/null');
  });
});
