// The VM's restarts against the other tasks' guest commands, with an in-memory limactl whose stop and
// start end only when the test says so: each interleaving is made on purpose, not hoped for.
import { describe, expect, it } from 'vitest';
import { createOnceCache } from '../once.ts';
import type { AscExec, AscExecResult } from '../types.ts';
import { createGuest } from './guest.ts';
import { createGuestGate } from './guest-gate.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A VM that answers `limactl shell` while it runs (exit 255 otherwise, as ssh does), and a log of calls. */
function fakeVm() {
  const vm = { running: true, log: [] as string[] };
  const answer = (stdout: string): AscExecResult => ({ command: 'limactl', exitCode: 0, stdout, stderr: '' });
  const shell = (args: readonly string[]): AscExecResult => {
    vm.log.push(`shell (${vm.running ? 'up' : 'down'})`);
    if (!vm.running) return { command: 'limactl', exitCode: 255, stdout: '', stderr: 'Connection refused' };
    const script = args.at(-1) ?? '';
    // The facts script prints `\n<marker> <name>\n` before each fact: answer each with a value.
    const markers = [...script.matchAll(/printf '\\n%s %s\\n' '([\w-]+)' '([\w.-]+)'/g)];
    return answer(markers.map(([, marker, name]) => `\n${marker} ${name}\nvalue of ${name}`).join(''));
  };
  const exec: AscExec = {
    query: async (_file, args, options) => {
      const result = shell(args);
      if (!(options?.okCodes ?? [0]).includes(result.exitCode)) throw new Error(`exit ${result.exitCode}`);
      return result;
    },
    run: async (_file, args) => shell(args),
    which: async () => undefined,
  };
  return { vm, exec };
}

function guests(exec: AscExec) {
  const gate = createGuestGate();
  const { once, forget } = createOnceCache();
  const guestOf = (owner: string) =>
    createGuest({
      instance: 'default',
      exec,
      once,
      forget,
      factScripts: { 'lima.user': 'id -un' },
      gate,
      owner,
      verbose: false,
    });
  return { restarter: guestOf('lima.config'), reader: guestOf('early.facts') };
}

describe('guest commands while a task restarts the VM', () => {
  it("another task's facts read during the restart waits for it and reads the restarted guest", async () => {
    const { vm, exec } = fakeVm();
    const { restarter, reader } = guests(exec);
    const down = deferred();
    const start = deferred();
    const restart = restarter.offline(async () => {
      vm.running = false;
      vm.log.push('stopped');
      down.resolve();
      await start.promise;
      vm.running = true;
      vm.log.push('started');
    });
    await down.promise;
    const facts = reader.facts();
    const query = reader.query(['true']);
    start.resolve();
    await restart;
    expect(await facts).toEqual({ 'lima.user': 'value of lima.user' });
    expect((await query).exitCode).toBe(0);
    expect(vm.log).toEqual(['stopped', 'started', 'shell (up)', 'shell (up)']);
  });

  it('a restart waits for a guest command already running, and the restarter runs its own at once', async () => {
    const { vm } = fakeVm();
    const finish = deferred();
    const order: string[] = [];
    const exec: AscExec = {
      query: async (_file, args) => {
        order.push(`${args.at(-1)} begins (${vm.running ? 'up' : 'down'})`);
        if (args.at(-1) === 'slow') await finish.promise;
        order.push(`${args.at(-1)} ends`);
        return { command: 'limactl', exitCode: 0, stdout: '', stderr: '' };
      },
      run: async () => ({ command: 'limactl', exitCode: 0, stdout: '', stderr: '' }),
      which: async () => undefined,
    };
    const { restarter, reader } = guests(exec);
    const slow = reader.query(['slow']);
    const restart = restarter.offline(async () => {
      order.push('restart');
      vm.running = false;
      await restarter.query(['own']);
      vm.running = true;
    });
    // The restart has not begun: the slow command holds the guest until it ends.
    await Promise.resolve();
    expect(order).toEqual(['slow begins (up)']);
    finish.resolve();
    await Promise.all([slow, restart]);
    expect(order).toEqual(['slow begins (up)', 'slow ends', 'restart', 'own begins (down)', 'own ends']);
  });

  it("the restarter's own facts read inside its section is its own, though another task asked meanwhile", async () => {
    const { vm, exec } = fakeVm();
    const { restarter, reader } = guests(exec);
    const down = deferred();
    const resume = deferred();
    let own: Record<string, string> | undefined;
    const restart = restarter.offline(async () => {
      vm.running = false;
      down.resolve();
      await resume.promise;
      vm.running = true;
      // As nixos' re-create does: start, then read the new guest's facts, within the one section.
      own = await restarter.facts();
    });
    await down.promise;
    const theirs = reader.facts();
    resume.resolve();
    await restart;
    expect(own).toEqual({ 'lima.user': 'value of lima.user' });
    expect(await theirs).toEqual({ 'lima.user': 'value of lima.user' });
    expect(vm.log).toEqual(['shell (up)', 'shell (up)']);
  }, 5000);
});
