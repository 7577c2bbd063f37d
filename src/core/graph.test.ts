import { beforeAll, describe, expect, it } from 'vitest';
import { ok } from './define.ts';
import { buildGraph, loadGlobs, selectTasks } from './graph.ts';
import type { TaskNode } from './task-node.ts';

function task(id: string, needs: string[] = [], phase?: string): TaskNode {
  return {
    id,
    plugin: id.split('.')[0] ?? id,
    title: id,
    phase,
    needs,
    notify: [],
    check: async () => ok(),
    apply: async () => {},
    source: `test ${id}`,
  };
}

const graphOf = (...tasks: TaskNode[]) => buildGraph({ tasks, handlers: [] });

beforeAll(() => loadGlobs(['*']));

describe('buildGraph', () => {
  it('resolves globs in needs to ids, never to the task itself', () => {
    const graph = graphOf(
      task('lima.installed'),
      task('lima.running', ['lima.installed']),
      task('docker.cli', ['lima.*']),
    );
    expect(graph.needs.get('docker.cli')).toEqual(['lima.installed', 'lima.running']);
    expect(graphOf(task('a.one', ['a.*']), task('a.two')).needs.get('a.one')).toEqual(['a.two']);
  });

  it('names the tasks of a cycle, in order', () => {
    expect(() => graphOf(task('a.x', ['a.z']), task('a.y', ['a.x']), task('a.z', ['a.y']))).toThrow(
      'dependency cycle: a.x → a.z → a.y → a.x',
    );
  });

  it('rejects a need nothing provides, naming the task and the need', () => {
    expect(() => graphOf(task('a.x', ['docker.*']))).toThrow(/task a\.x \(test a\.x\) needs "docker\.\*"/);
  });

  it('rejects duplicate ids, naming both sources', () => {
    expect(() => graphOf(task('a.x'), { ...task('a.x'), source: 'the other one' })).toThrow(
      'duplicate task id "a.x": declared by test a.x and by the other one',
    );
  });
});

describe('selectTasks', () => {
  const graph = graphOf(
    task('lima.installed', [], 'phase1'),
    task('lima.running', ['lima.installed'], 'phase1'),
    task('docker.forward', ['lima.running'], 'phase2'),
    task('docker.cli', ['docker.forward'], 'phase2'),
    task('notes.readme'),
  );

  it('puts needs before the tasks that need them, pulling them in', () => {
    expect(selectTasks(graph, ['docker.cli'])).toEqual([
      'lima.installed',
      'lima.running',
      'docker.forward',
      'docker.cli',
    ]);
    expect(selectTasks(graph, ['phase2'])).toEqual(selectTasks(graph, ['docker']));
    expect(selectTasks(graph, ['all'])).toHaveLength(5);
    expect(selectTasks(graph, ['*.readme'])).toEqual(['notes.readme']);
  });

  it('accepts an empty known phase and rejects an unknown target with a suggestion', () => {
    expect(selectTasks(graph, ['phase6'])).toEqual([]);
    // Asked for by a command, a phase without a task is an error naming who would provide it.
    expect(() =>
      selectTasks(graph, ['phase6'], [], () => [{ name: 'nixos', enable: 'nixos: { enabled: true }' }]),
    ).toThrow('no enabled plugin has a task in phase6: `nixos` would (it is not enabled)');
    expect(() => selectTasks(graph, ['dockr'])).toThrow('unknown target "dockr"');
    expect(() => selectTasks(graph, ['wezterm'], ['wezterm'])).toThrow('the wezterm plugin is not enabled');
  });
});
