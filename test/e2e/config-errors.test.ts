import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox.cleanup();
});

// Every config below also declares a task that would create a file: exit 2 must mean nothing ran.
const marker = `
  - id: marker.file
    check: test -f marker.txt
    apply: touch marker.txt`;

const cases: { name: string; config: string; args?: string[]; message: RegExp }[] = [
  {
    name: 'YAML syntax error',
    config: `tasks:\n  - id: a.b\n    check: "unterminated\n    apply: true\n`,
    message: /\.ascrc\.yaml:5:1: YAML syntax error: Missing closing "quote/,
  },
  {
    name: 'wrong type',
    config: `instance: default\ntasks:${marker}\n  - id: other.task\n    check: [not, a, string]\n    apply: "true"\n`,
    message: /\.ascrc\.yaml:7:12: tasks\[1\]\.check: expected string, got array \["not","a","string"\]/,
  },
  {
    name: 'unknown key',
    config: `instance: default\nplugin: {}\ntasks:${marker}\n`,
    message: /\.ascrc\.yaml:2:1: plugin: unknown key/,
  },
  {
    name: 'unknown key inside a task',
    config: `tasks:${marker}\n    need: [x]\n`,
    message: /\.ascrc\.yaml:5:5: tasks\[0\]\.need: unknown key/,
  },
  {
    name: 'instance name with shell syntax',
    config: `instance: "de fault; touch pwned"\ntasks:${marker}\n`,
    message: /\.ascrc\.yaml:1:11: instance: an instance name is letters and digits/,
  },
  {
    name: 'unknown plugin',
    config: `plugins:\n  dockr: {}\ntasks:${marker}\n`,
    message: /\.ascrc\.yaml: plugins\.dockr: unknown plugin "dockr"/,
  },
  {
    name: 'unknown target',
    config: `tasks:${marker}\n`,
    args: ['run', 'markr'],
    message: /unknown target "markr"[\s\S]*did you mean marker/,
  },
  {
    name: 'duplicate task id',
    config: `tasks:${marker}${marker}\n`,
    message:
      /duplicate task id "marker\.file": declared by tasks\[0\] in .*\.ascrc\.yaml and by tasks\[1\] in .*\.ascrc\.yaml/,
  },
  {
    name: 'cycle',
    config: `tasks:${marker}
    needs: [loop.b]
  - id: loop.a
    needs: [marker.file]
    check: "true"
    apply: "true"
  - id: loop.b
    needs: [loop.a]
    check: "true"
    apply: "true"
`,
    message: /dependency cycle: marker\.file → loop\.b → loop\.a → marker\.file/,
  },
  {
    name: 'need on an unknown id',
    config: `tasks:${marker}\n    needs: [lima.running]\n`,
    message:
      /task marker\.file \(tasks\[0\] in .*\.ascrc\.yaml\) needs "lima\.running", which no enabled plugin or task declares/,
  },
  {
    name: 'missing file given with --config',
    config: `tasks:${marker}\n`,
    args: ['run', 'all', '--config', 'nowhere/asc.yaml'],
    message: /config file not found: .*\/nowhere\/asc\.yaml \(given with --config\)/,
  },
  {
    name: "a number below its minimum, in asc words rather than zod's",
    config: `plugins:\n  lima:\n    cpus: 0\ntasks:${marker}\n`,
    message: /\.ascrc\.yaml:3:11: plugins\.lima\.cpus: must be at least 1, got 0/,
  },
  {
    name: 'an empty string where text is required',
    config: `tasks:${marker}\n    title: ""\n`,
    message: /\.ascrc\.yaml:5:12: tasks\[0\]\.title: must not be empty, got ""/,
  },
  {
    name: 'bad duration',
    config: `tasks:${marker}\n    timeout: soon\n`,
    message: /\.ascrc\.yaml:5:14: tasks\[0\]\.timeout: a duration like "30s"/,
  },
];

describe('bad input exits 2, names the file and key, and changes nothing', () => {
  it.each(cases)('$name', async ({ config, args, message }) => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write('project/.ascrc.yaml', config);
    const before = await sandbox.snapshot();
    const result = await sandbox.asc(args ?? ['run', 'all'], { cwd });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(result.exitCode).toBe(2);
    expect(await sandbox.snapshot()).toEqual(before);
  });

  it('--json prints the error as the one JSON document on stdout', async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write('project/.ascrc.yaml', `plugins:\n  dockr: {}\n`);
    const result = await sandbox.asc(['plan', 'all', '--json'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ exitCode: 2, error: { code: 'E_PLUGIN_NOT_FOUND' } });
  });

  it('an unknown command or flag is a usage error (2)', async () => {
    expect((await sandbox.asc(['runn'])).exitCode).toBe(2);
    expect((await sandbox.asc(['run', '--concurrency', 'zero'])).exitCode).toBe(2);
  });
});
