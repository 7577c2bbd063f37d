import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drift, ok, skip } from './define.ts';
import { buildGraph, selectTasks } from './graph.ts';
import { type RunReport, runTasks } from './runner.ts';
import type { TaskNode } from './task-node.ts';
import type { AscCheckResult, AscTaskContext } from './types.ts';
import { createVmSpec, freezeVmSpec } from './vm-spec.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'asc-runner-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Check = (t: AscTaskContext) => Promise<AscCheckResult>;

function task(
  id: string,
  needs: string[],
  check: Check,
  apply: (t: AscTaskContext) => Promise<void> = async () => {},
): TaskNode {
  return {
    id,
    plugin: id.split('.')[0] ?? id,
    title: id,
    phase: undefined,
    needs,
    notify: [],
    check,
    apply,
    source: `test ${id}`,
  };
}

async function run(
  tasks: TaskNode[],
  mode: 'run' | 'plan' = 'run',
  concurrency = 8,
): Promise<Record<string, { status: string; reason: string | undefined }>> {
  const graph = buildGraph({ tasks, handlers: [] });
  const report: RunReport = await runTasks(
    graph,
    selectTasks(graph, ['all']),
    { vm: freezeVmSpec(createVmSpec()), tools: {}, guestFacts: {} },
    {
      mode,
      concurrency,
      yes: true,
      renderer: 'silent',
      verbose: false,
      signal: new AbortController().signal,
      env: { PATH: process.env.PATH },
      home: dir,
      backupDir: path.join(dir, 'backups'),
      stateDir: path.join(dir, 'state'),
      config: { instance: 'default', file: undefined, dir },
    },
  );
  return Object.fromEntries(report.results.map((r) => [r.id, { status: r.status, reason: r.reason }]));
}

/** A promise to resolve from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Resolves once `count` callers have arrived. */
function meeting(count: number): () => Promise<void> {
  const all = deferred();
  let arrived = 0;
  return () => {
    arrived += 1;
    if (arrived === count) all.resolve();
    return all.promise;
  };
}

describe('checks ahead of their needs', () => {
  it('a chain of 5 converged checks runs together: each waits for all five to have started', async () => {
    const meet = meeting(5);
    const chain = ['c.one', 'c.two', 'c.three', 'c.four', 'c.five'].map((id, i, ids) =>
      task(id, i === 0 ? [] : [ids[i - 1]!], async () => {
        await meet();
        return ok();
      }),
    );
    const rows = await run(chain);
    expect(Object.values(rows).map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('a drifted root discards its dependents’ early results, drifts and errors alike; they are checked again after its apply', async () => {
    const world = { applied: false };
    const earlyStarted = meeting(3);
    const checks: Record<string, number> = {};
    const applied: string[] = [];
    const count = (id: string) => {
      checks[id] = (checks[id] ?? 0) + 1;
      return checks[id];
    };
    const rows = await run([
      task(
        'r.root',
        [],
        async () => {
          // The root answers only once both dependents' early checks have started.
          if (count('r.root') === 1) await earlyStarted();
          return world.applied ? ok() : drift('not yet');
        },
        async () => {
          world.applied = true;
          applied.push('r.root');
        },
      ),
      task(
        'r.drifts',
        ['r.root'],
        async () => {
          if (count('r.drifts') === 1) void earlyStarted();
          return world.applied ? ok() : drift('the root is missing');
        },
        async () => {
          applied.push('r.drifts');
        },
      ),
      task('r.throws', ['r.root'], async () => {
        if (count('r.throws') === 1) void earlyStarted();
        if (!world.applied) throw new Error('cannot read what the root makes');
        return ok();
      }),
    ]);
    expect(rows).toEqual({
      'r.root': { status: 'changed', reason: 'not yet' },
      'r.drifts': { status: 'ok', reason: undefined },
      'r.throws': { status: 'ok', reason: undefined },
    });
    expect(applied).toEqual(['r.root']);
    expect(checks).toEqual({ 'r.root': 2, 'r.drifts': 2, 'r.throws': 2 });
  });

  it('plan: a drifted root makes its whole chain "would run after" it, whatever their early checks said', async () => {
    const rows = await run(
      [
        task('p.root', [], async () => drift('missing')),
        task('p.child', ['p.root'], async () => ok()),
        task('p.grandchild', ['p.child'], async () => {
          throw new Error('no root');
        }),
      ],
      'plan',
    );
    expect(rows).toEqual({
      'p.root': { status: 'would-change', reason: 'missing' },
      'p.child': { status: 'skipped', reason: 'would run after p.root' },
      'p.grandchild': { status: 'skipped', reason: 'would run after p.root' },
    });
  });

  it('a failed or not applicable need skips its dependents, whose early results are discarded', async () => {
    const rows = await run([
      task('f.root', [], async () => {
        throw new Error('broken');
      }),
      task('f.child', ['f.root'], async () => ok()),
      task('n.root', [], async () => skip('not on this machine')),
      task('n.child', ['n.root'], async () => drift('would apply')),
    ]);
    expect(rows['f.child']).toEqual({ status: 'skipped', reason: 'need f.root failed' });
    expect(rows['n.child']).toEqual({ status: 'skipped', reason: 'need n.root was skipped' });
  });

  it('a task whose need is ok only after something above it changed is checked again, not taken early', async () => {
    const world = { applied: false, leafFixed: false };
    const root = deferred();
    const rows = await run([
      task(
        'd.root',
        [],
        async () => {
          await root.promise;
          return world.applied ? ok() : drift('missing');
        },
        async () => {
          world.applied = true;
        },
      ),
      task('d.middle', ['d.root'], async () => ok()),
      // Converged in the world before the root's apply, drifted after it: only the re-check knows.
      task(
        'd.leaf',
        ['d.middle'],
        async () => {
          root.resolve();
          return world.applied && !world.leafFixed ? drift('the root changed what I stand on') : ok();
        },
        async () => {
          world.leafFixed = true;
        },
      ),
    ]);
    expect(rows['d.middle']?.status).toBe('ok');
    expect(rows['d.leaf']).toEqual({ status: 'changed', reason: 'the root changed what I stand on' });
  });

  it('a once value that only a discarded early check read is computed again for the re-check', async () => {
    const world = { value: 'before' };
    const seen: string[] = [];
    const root = deferred();
    const rows = await run([
      task(
        'o.root',
        [],
        async () => {
          await root.promise;
          return world.value === 'after' ? ok() : drift('old');
        },
        async () => {
          world.value = 'after'; // and it does not know to forget the child's key
        },
      ),
      task('o.child', ['o.root'], async (t) => {
        const value = await t.once('o:value', async () => world.value);
        seen.push(value);
        root.resolve();
        return value === 'after' ? ok() : drift(`value is ${value}`);
      }),
    ]);
    expect(seen).toEqual(['before', 'after']);
    expect(rows['o.child']?.status).toBe('ok');
  });

  it('checks whose needs are ok share one once value; a value an apply used survives a discard', async () => {
    let computed = 0;
    const marks = deferred();
    const rows = await run([
      task('s.root', [], async () => ok()),
      ...['s.a', 's.b', 's.c'].map((id) =>
        task(id, ['s.root'], async (t) => {
          await t.once('s:list', async () => ++computed);
          return ok();
        }),
      ),
      // A mutable run-scoped record (like the set of stale guest facts): made by an early check, written by
      // its need's apply, it must still be there for the re-check.
      task(
        'm.root',
        [],
        async (t) => {
          await marks.promise;
          return (await t.once('m:stale', async () => new Set<string>())).has('x') ? ok() : drift('x');
        },
        async (t) => {
          (await t.once('m:stale', async () => new Set<string>())).add('x');
        },
      ),
      task('m.child', ['m.root'], async (t) => {
        const stale = await t.once('m:stale', async () => new Set<string>());
        marks.resolve();
        return stale.has('x') ? ok() : drift('x is not marked');
      }),
    ]);
    expect(computed).toBe(1);
    expect(rows['m.root']?.status).toBe('changed');
    expect(rows['m.child']?.status).toBe('ok');
  });

  it('--concurrency bounds what is in flight, early checks included', async () => {
    let inFlight = 0;
    let most = 0;
    const check = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return ok();
    };
    const tasks = Array.from({ length: 12 }, (_, i) =>
      task(`k.t${i}`, i === 0 ? [] : [`k.t${i - 1}`], check),
    );
    const rows = await run(tasks, 'run', 3);
    expect(Object.values(rows).every((r) => r.status === 'ok')).toBe(true);
    expect(most).toBe(3);
  });
});

describe('each context is its plugin’s', () => {
  it('t.state is the plugin the task belongs to, by its name, not by the task id; plan mode names it too', async () => {
    let applied = false;
    const recorder = {
      ...task('vm-setup.step', [], async (t) => ((await t.state.get('done')) ? ok() : drift('not done'))),
      plugin: 'lima-extras',
      apply: async (t: AscTaskContext) => {
        await t.state.set('done', true);
        applied = true;
      },
    };
    expect(await run([recorder], 'plan')).toEqual({
      'vm-setup.step': { status: 'would-change', reason: 'not done' },
    });
    expect(await run([recorder])).toEqual({ 'vm-setup.step': { status: 'changed', reason: 'not done' } });
    expect(applied).toBe(true);
    const { readFile } = await import('node:fs/promises');
    expect(
      JSON.parse(await readFile(path.join(dir, 'state', 'plugins', 'lima-extras.json'), 'utf8')),
    ).toEqual({
      done: true,
    });
    const refusing = {
      ...recorder,
      check: async (t: AscTaskContext) => {
        await t.state.set('x', 1);
        return ok();
      },
    };
    expect((await run([refusing], 'plan'))['vm-setup.step']?.reason).toMatch(
      /plan mode: refusing to change asc's record lima-extras\.x/,
    );
  });
});
