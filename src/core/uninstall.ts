import { drift, ok } from './define.ts';
import { PendingHandlers } from './pending.ts';
import type { TaskNode } from './task-node.ts';

/** The core's own part of `asc uninstall`: pending handlers are forgotten (their plugins' edits are undone). */
export function coreUninstallTasks(stateDir: string): TaskNode[] {
  const pending = () => new PendingHandlers(stateDir);
  return [
    {
      id: 'core.pending-handlers',
      plugin: 'core',
      title: 'no handler is pending',
      phase: undefined,
      needs: [],
      notify: [],
      source: 'asc',
      async check() {
        const ids = Object.keys(await pending().all());
        return ids.length === 0 ? ok() : drift(`pending: ${ids.join(', ')}`);
      },
      async apply() {
        const store = pending();
        const ids = Object.keys(await store.all());
        await store.clear(ids);
        return `forgot ${ids.join(', ')}`;
      },
    },
  ];
}
