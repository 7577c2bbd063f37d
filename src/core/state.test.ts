import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOnlyState } from './context/read-only.ts';
import { createStateStores } from './state.ts';

describe('plugin state records', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'asc-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps every key when tasks of one plugin write at once, and a new run reads them back', async () => {
    const state = createStateStores(dir)('launchd');
    await Promise.all(Array.from({ length: 20 }, (_, i) => state.set(`k${i}`, { i })));
    await state.delete('k3');
    const again = createStateStores(dir)('launchd');
    expect(await again.get('k19')).toEqual({ i: 19 });
    expect(await again.get('k3')).toBeUndefined();
    const file = JSON.parse(await readFile(path.join(dir, 'plugins', 'launchd.json'), 'utf8'));
    expect(Object.keys(file)).toHaveLength(19);
  });

  it('plans read but never write', async () => {
    await createStateStores(dir)('nixos').set('step', 'archived');
    const plan = readOnlyState(createStateStores(dir)('nixos'), 'nixos');
    expect(await plan.get('step')).toBe('archived');
    await expect(plan.set('step', 'restored')).rejects.toThrow(
      /plan mode: refusing to change asc's record nixos.step/,
    );
    await expect(plan.delete('step')).rejects.toThrow(/plan mode/);
  });

  it('a damaged state file is an error naming it, not a silent reset', async () => {
    const file = path.join(dir, 'plugins', 'x.json');
    await createStateStores(dir)('x').set('a', 1);
    await writeFile(file, '{ not json');
    await expect(createStateStores(dir)('x').get('a')).rejects.toThrow(file);
  });
});
