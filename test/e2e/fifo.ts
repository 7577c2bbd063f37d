import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** A named pipe (coreutils mkfifo): opening one end blocks until the other end is opened. */
export async function mkfifo(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await promisify(execFile)('mkfifo', [file]);
}
