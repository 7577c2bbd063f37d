// The doctor/uninstall example of docs/writing-a-plugin.md, tested as a plugin author would test theirs:
// with the test kit `ascalon/testing`, and kept word for word in the document.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestContext, expectIdempotent } from 'ascalon/testing';
import { describe, expect, it } from 'vitest';
import plugin from './hushlogin.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(ROOT, 'docs/examples/hushlogin.mjs');
const ctx = { config: { instance: 'default', file: undefined, dir: '/' }, home: '/', vm: {} } as never;
const [task] = plugin.tasks({}, ctx);
const [undo] = plugin.uninstall?.({}, ctx) ?? [];
const [row] = plugin.doctor?.({}, ctx) ?? [];

describe('docs/examples/hushlogin.mjs', () => {
  it('is in docs/writing-a-plugin.md exactly as in the file', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/writing-a-plugin.md'), 'utf8');
    expect(doc).toContain(`\`\`\`js\n${readFileSync(EXAMPLE, 'utf8')}\`\`\``);
  });

  it('on a Mac: creates ~/.hushlogin and remembers it; uninstall removes it again', async () => {
    if (!task || !undo || !row) throw new Error('the example lost a hook');
    const t = await createTestContext();
    expect(await expectIdempotent(task, t)).toEqual({ reason: '~/.hushlogin is missing' });
    expect(await t.state.get('created')).toBe(true);
    expect((await row.run(t.withMode(true))).status).toBe('ok');
    expect(await expectIdempotent(undo, t)).toEqual({
      reason: '~/.hushlogin was made by asc: it would be removed',
    });
    expect(await t.files.read(path.join(t.host.home, '.hushlogin'))).toBeUndefined();
    expect(await row.run(t.withMode(true))).toMatchObject({ status: 'warn', fix: 'asc run hushlogin' });
  });

  it('leaves a ~/.hushlogin the user made, and skips off a Mac', async () => {
    if (!task || !undo) throw new Error('the example lost a hook');
    const t = await createTestContext();
    await writeFile(path.join(t.host.home, '.hushlogin'), '');
    expect(await undo.check(t)).toEqual({ converged: true, reason: 'asc made no ~/.hushlogin' });
    const linux = await createTestContext({ hostFacts: { platform: 'linux' } });
    expect(await task.check(linux)).toEqual({
      converged: false,
      notApplicable: true,
      reason: 'not a Mac (uname -s says linux)',
    });
  });
});
