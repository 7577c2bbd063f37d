import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildGraph, KNOWN_PHASES, selectTasks } from '../../src/core/graph.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TASKFILE = path.join(ROOT, 'docs/examples/Taskfile.yml');
const SCHEMA = path.resolve(ROOT, '../shared/fixtures/taskfile-schema.json');

interface Taskfile {
  tasks: Record<string, { status?: string[]; cmds?: (string | { cmd: string })[] }>;
}

const text = readFileSync(TASKFILE, 'utf8');
const taskfile = parse(text) as Taskfile;

/** Every shell line of every task: its `status:` checks and its `cmds:`. */
const commandLines = Object.entries(taskfile.tasks).flatMap(([name, task]) =>
  [...(task.status ?? []), ...(task.cmds ?? []).map((c) => (typeof c === 'string' ? c : c.cmd))].map(
    (line) => ({ name, line }),
  ),
);
const ascLines = commandLines.filter(({ line }) => /^asc\s/.test(line));

describe('docs/examples/Taskfile.yml', () => {
  it('starts with the yaml-language-server line that points editors at the Taskfile schema', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=https://taskfile.dev/schema.json');
  });

  it('calls asc with a command and targets that asc accepts', () => {
    expect(ascLines.length).toBeGreaterThan(0);
    // The real target rules, on a graph with no tasks: `all` and the known phases are always valid.
    const graph = buildGraph({ tasks: [], handlers: [] });
    const accepted = ['all', ...KNOWN_PHASES];
    for (const { name, line } of ascLines) {
      // Only the asc command itself: the words before any `||`, `&&`, `;` or `|`.
      const [, command, ...rest] = (line.split(/\s*(?:\|\||&&|[;|])\s*/)[0] ?? '').split(/\s+/);
      expect(['run', 'plan', 'status', 'doctor'], `${name}: ${line}`).toContain(command);
      if (command === 'doctor') continue;
      const targets = rest.filter((word) => !word.startsWith('-') && !word.startsWith('{{'));
      expect(targets.length, `${name}: ${line} names no target`).toBeGreaterThan(0);
      for (const target of targets) {
        expect(accepted, `${name}: ${line}`).toContain(target);
        expect(() => selectTasks(graph, [target]), `${name}: ${line}`).not.toThrow();
      }
    }
  });

  it('guards every `asc run` with an `asc status` of the same target', () => {
    for (const [name, task] of Object.entries(taskfile.tasks)) {
      const runs = (task.cmds ?? []).filter((c): c is string => typeof c === 'string' && /^asc run /.test(c));
      for (const run of runs) {
        const target = run.split(/\s+/)[2];
        expect(task.status, `${name} runs ${run}`).toContain(`asc status ${target}`);
      }
    }
  });

  it('has a task for every phase', () => {
    for (const phase of KNOWN_PHASES) {
      expect(
        ascLines.some(({ line }) => line === `asc status ${phase}`),
        phase,
      ).toBe(true);
    }
  });
});

// The real go-task schema is a shared fixture: skipped where ../shared is absent, required in CI.
const present = existsSync(SCHEMA);
const skip = !present && process.env.CI !== 'true';
const title = `Taskfile.yml against the go-task schema${skip ? ` (skipped: ${SCHEMA} is absent)` : ''}`;

describe.skipIf(skip)(title, () => {
  it('validates', () => {
    expect(present, `${SCHEMA} must exist in CI`).toBe(true);
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(taskfile);
    expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
    expect(valid).toBe(true);
  });

  it('is rejected when it breaks the schema (the check is not vacuous)', () => {
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ ...taskfile, version: 'three' })).toBe(false);
    expect(
      validate({ ...taskfile, tasks: { vm: { cmds: ['asc run all'], stauts: ['asc status all'] } } }),
    ).toBe(false);
  });
});
