import path from 'node:path';
import { AscError } from './errors.ts';
import { mkdir, readFile } from './files/fs-promises.ts';
import type { AscState } from './types.ts';

/** asc's own state folder: backups, the run lock, pending handlers and plugins' records. */
export function stateDir(home: string, env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'asc');
}

/** `2026-12-01T16-24-48-123Z`: a timestamp that sorts, and is safe in a file name on every OS. */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * One JSON file of records, read on first use and written atomically after each change. Writes are
 * queued, so concurrent tasks of one plugin never lose each other's keys; the run lock keeps other
 * asc processes out.
 */
export class JsonRecords {
  readonly file: string;
  #data: Promise<Record<string, unknown>> | undefined;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.file = file;
  }

  async all(): Promise<Readonly<Record<string, unknown>>> {
    this.#data ??= this.#load();
    return this.#data;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.all())[key] as T | undefined;
  }

  update(change: (data: Record<string, unknown>) => void): Promise<void> {
    const next = this.#writes.then(async () => {
      const data = { ...(await this.all()) };
      change(data);
      this.#data = Promise.resolve(data);
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const { default: writeFileAtomic } = await import('write-file-atomic');
      await writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    });
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw stateError(this.file, error);
    }
    try {
      const data = JSON.parse(text) as unknown;
      if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
    } catch {}
    throw stateError(this.file, new Error('not a JSON object'));
  }
}

function stateError(file: string, error: unknown): AscError {
  return new AscError(`could not read asc's state file ${file}: ${(error as Error).message}`, {
    code: 'E_FILE',
    hint: `move it aside (it only holds what asc remembers between runs) and run asc again`,
    cause: error,
  });
}

/** Each plugin's records, one file per plugin, shared by every task of the run. Plan mode wraps them in `readOnlyState`. */
export function createStateStores(dir: string): (plugin: string) => AscState {
  const files = new Map<string, JsonRecords>();
  const recordsOf = (plugin: string) => {
    let records = files.get(plugin);
    if (!records) {
      records = new JsonRecords(path.join(dir, 'plugins', `${plugin}.json`));
      files.set(plugin, records);
    }
    return records;
  };
  return (plugin) => ({
    get: (key) => recordsOf(plugin).get(key),
    set: (key, value) =>
      recordsOf(plugin).update((data) => {
        data[key] = value;
      }),
    delete: (key) =>
      recordsOf(plugin).update((data) => {
        delete data[key];
      }),
  });
}
