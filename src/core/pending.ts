import path from 'node:path';
import { JsonRecords } from './state.ts';

/** A handler that was notified and has not yet succeeded. */
export interface PendingHandler {
  /** When it was first notified (ISO time). */
  since: string;
  /** The tasks that notified it. */
  notifiedBy: string[];
}

/**
 * Notified handlers, kept in asc's state folder until they succeed: a deploy that failed, or a run that
 * was interrupted (even killed) after a task changed a file, is not forgotten by the next run, whose
 * checks all pass because the file is already right.
 */
export class PendingHandlers {
  readonly #records: JsonRecords;

  constructor(stateDir: string) {
    this.#records = new JsonRecords(path.join(stateDir, 'pending-handlers.json'));
  }

  async get(id: string): Promise<PendingHandler | undefined> {
    return this.#records.get<PendingHandler>(id);
  }

  async all(): Promise<Readonly<Record<string, PendingHandler>>> {
    return (await this.#records.all()) as Readonly<Record<string, PendingHandler>>;
  }

  /** Before a notifying task's apply: its handlers are pending from now on (written before any change). */
  mark(ids: readonly string[], by: string): Promise<void> {
    return this.#records.update((data) => {
      for (const id of ids) {
        const known = data[id] as PendingHandler | undefined;
        data[id] = known
          ? { ...known, notifiedBy: [...new Set([...known.notifiedBy, by])] }
          : { since: new Date().toISOString(), notifiedBy: [by] };
      }
    });
  }

  clear(ids: readonly string[]): Promise<void> {
    return this.#records.update((data) => {
      for (const id of ids) delete data[id];
    });
  }
}
