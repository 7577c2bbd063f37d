/** Values computed once per run and shared by every task: one `limactl list`, one guest round trip. */
export interface OnceCache {
  once<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** Drop a value after asc changed what it describes; the next `once` computes it again. */
  forget(key: string): void;
}

/** A failed computation is not remembered: the next task may try again (after a start, say). */
export function createOnceCache(): OnceCache {
  const memo = new Map<string, Promise<unknown>>();
  return {
    once<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let value = memo.get(key) as Promise<T> | undefined;
      if (!value) {
        const computed = compute();
        value = computed;
        memo.set(key, computed);
        computed.catch(() => {
          if (memo.get(key) === computed) memo.delete(key);
        });
      }
      return value;
    },
    forget(key) {
      memo.delete(key);
    },
  };
}
