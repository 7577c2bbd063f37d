import type { AscTaskContext } from './types.ts';

/**
 * The run's `once` values as the runner hands them to checks that start before their needs are settled.
 * Such an early check only reads, but what it read may be about to change: when one of its needs drifts
 * and is applied, its result is discarded, and so is every `once` value that no one but discarded early
 * checks has read. The check that runs again after the need's apply computes those afresh, even where the
 * need's apply did not know to `forget` them (another plugin's own `t.once` keys). A value that a task
 * read with its needs settled, or that an early check whose result stands read, is the run's, as before.
 * Core facts (`t.host.facts()`, `t.guest.facts()`) are not tracked: the applies that change them refresh
 * them (`t.guest.refresh()`), as they must for the tasks that read them first today.
 */
export interface CheckCache {
  /** The context of a check or apply whose needs are settled. */
  settled(t: AscTaskContext): AscTaskContext;
  /** The context of a check that starts before its needs are settled, and what becomes of its reads. */
  early(t: AscTaskContext): EarlyReads;
}

export interface EarlyReads {
  readonly context: AscTaskContext;
  /** Its needs all came back ok: its result stands, and so do the values it read. */
  keep(): void;
  /** A need was not ok: the values only discarded checks read are dropped from the run's cache. */
  discard(): void;
}

interface Entry {
  value: Promise<unknown>;
  /** Only early checks whose fate is open or discarded have read it. */
  early: boolean;
}

export function createCheckCache(): CheckCache {
  const entries = new Map<string, Entry>();

  const wrap = (t: AscTaskContext, reads: Map<string, Promise<unknown>> | undefined): AscTaskContext => ({
    ...t,
    once<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let computed = false;
      const value = t.once(key, () => {
        computed = true;
        return compute();
      });
      if (computed) {
        entries.set(key, { value, early: reads !== undefined });
        value.catch(() => {
          if (entries.get(key)?.value === value) entries.delete(key);
        });
      } else if (reads === undefined) {
        const entry = entries.get(key);
        if (entry?.value === value) entry.early = false;
      }
      reads?.set(key, value);
      return value;
    },
    forget(key: string): void {
      entries.delete(key);
      t.forget(key);
    },
  });

  return {
    settled: (t) => wrap(t, undefined),
    early(t) {
      const reads = new Map<string, Promise<unknown>>();
      return {
        context: wrap(t, reads),
        keep() {
          for (const [key, value] of reads) {
            const entry = entries.get(key);
            if (entry?.value === value) entry.early = false;
          }
        },
        discard() {
          for (const [key, value] of reads) {
            const entry = entries.get(key);
            if (entry?.value !== value || !entry.early) continue;
            entries.delete(key);
            t.forget(key);
          }
        },
      };
    },
  };
}
