/**
 * The VM's stops and starts against every other task's guest commands, one per run: a readers–writer lock
 * whose readers are guest commands (`limactl shell`) and whose writer is a task that takes the VM down
 * (`t.guest.offline`). A command that starts while the VM is down waits for it to be back instead of
 * failing with ssh's exit 255; a restart waits for the commands already running to end, so it never
 * cuts one off. Writers go first: once a restart waits, new commands queue behind it. The task that holds
 * the VM down runs its own commands at once (it starts the VM and asks the guest whether it answers).
 */
export interface GuestGate {
  /** Run one guest command as `owner` (a task id): after any restart another task has begun. */
  command<T>(owner: string, run: () => Promise<T>): Promise<T>;
  /** Run `work` as `owner` with the guest to itself; nested calls by the same owner just run. */
  offline<T>(owner: string, work: () => Promise<T>): Promise<T>;
  /**
   * While another owner holds the VM down, a promise that settles at the next change (check again);
   * otherwise undefined, and what the caller does next in the same tick happens with the gate open.
   */
  closedTo(owner: string): Promise<void> | undefined;
}

export function createGuestGate(): GuestGate {
  /** Guest commands running now, by owner. */
  const running = new Map<string, number>();
  /** The owner that holds the VM down, or waits to (first in line). */
  let writer: string | undefined;
  const writers: string[] = [];
  let waiters: (() => void)[] = [];
  const changed = () => {
    const wake = waiters;
    waiters = [];
    for (const resolve of wake) resolve();
  };
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  const othersRunning = (owner: string) => [...running].some(([who, count]) => who !== owner && count > 0);

  return {
    async command(owner, run) {
      while (writer !== undefined && writer !== owner) await next();
      running.set(owner, (running.get(owner) ?? 0) + 1);
      try {
        return await run();
      } finally {
        running.set(owner, (running.get(owner) ?? 1) - 1);
        changed();
      }
    },
    closedTo(owner) {
      return writer !== undefined && writer !== owner ? next() : undefined;
    },
    async offline(owner, work) {
      if (writer === owner) return work();
      writers.push(owner);
      while (writer !== undefined || writers[0] !== owner) await next();
      writers.shift();
      writer = owner;
      try {
        while (othersRunning(owner)) await next();
        return await work();
      } finally {
        writer = undefined;
        changed();
      }
    },
  };
}
