import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from './fs-promises.ts';

/**
 * Hand `content` to `use` as a file named `name` in a private temporary folder (mode 0600), removed
 * afterwards whatever happens. Private, and never beside the real file: launchd loads every plist in
 * ~/Library/LaunchAgents and an ssh Include glob reads every file it matches.
 */
export async function withTempFile<T>(
  name: string,
  content: string,
  use: (file: string) => Promise<T>,
  options: { dir?: string } = {},
): Promise<T> {
  const dir = await mkdtemp(path.join(options.dir || tmpdir(), 'asc-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, content, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
