import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

/** An external plugin as a user would write it: a module exporting a plain plugin object. */
const echoPlugin = `
const schema = {
  safeParse(value) {
    if (typeof value?.message !== 'string') {
      return { success: false, error: { issues: [{ code: 'invalid_type', expected: 'string', path: ['message'], message: 'expected string' }] } };
    }
    return { success: true, data: { message: value.message, file: value.file ?? 'said.txt' } };
  },
};
export default {
  name: 'echo',
  description: 'writes a message with printf',
  options: schema,
  tools: { 'asc-missing-tool': { install: 'brew install asc-missing-tool' } },
  vm(spec, options) {
    spec.env.ECHO_MESSAGE = options.message;
  },
  tasks(options, ctx) {
    return [
      {
        id: 'said',
        title: 'the message is written',
        phase: 'phase4',
        async check(t) {
          const text = await t.files.read(options.file);
          if (text === options.message) return { converged: true };
          return { converged: false, reason: 'the message differs', diff: await t.files.diff(options.file, options.message) };
        },
        async apply(t) {
          const { stdout } = await t.exec.run('printf', ['%s', options.message]);
          await t.files.write(options.file, stdout);
        },
        notify: ['echo.announce'],
      },
      {
        id: 'spec',
        needs: ['echo.said'],
        async check(t) {
          return t.vm.env.ECHO_MESSAGE === options.message ? { converged: true } : { converged: false, reason: 'no env' };
        },
        async apply() {},
      },
      {
        id: 'tool',
        phase: 'phase6',
        async check(t) {
          await t.exec.query('asc-missing-tool', ['--version']);
          return { converged: true };
        },
        async apply() {},
      },
    ];
  },
  handlers() {
    return [{ id: 'announce', async run(t) { await t.files.write('announced.txt', 'yes'); } }];
  },
};
`;

async function setup(message: string): Promise<string> {
  const cwd = path.join(sandbox.home, 'project');
  await sandbox.write('project/plugins/echo.mjs', echoPlugin);
  await sandbox.write(
    'project/.ascrc.yaml',
    `plugins:\n  ./plugins/echo.mjs:\n    message: ${JSON.stringify(message)}\n    file: ${JSON.stringify(path.join(cwd, 'said.txt'))}\n`,
  );
  return cwd;
}

describe('external plugins', () => {
  it('config values reach commands only as argv: shell syntax stays literal', async () => {
    const pwned = path.join(sandbox.root, 'pwned');
    const message = `x; touch ${pwned} $(touch ${pwned}) \`touch ${pwned}\` '"`;
    const cwd = await setup(message);
    const result = await sandbox.asc(['run', 'echo.said'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(await sandbox.read('project/said.txt')).toBe(message);
    expect(existsSync(pwned)).toBe(false);
  });

  it('runs a notified handler once, after the task changed something, and not when nothing changed', async () => {
    const cwd = await setup('hello');
    const first = await sandbox.asc(['run', 'phase4', '--json'], { cwd });
    const rows = JSON.parse(first.stdout).tasks as { id: string; status: string; reason: string }[];
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['echo.said', 'changed'],
      ['echo.announce', 'changed'],
    ]);
    expect(rows[1]?.reason).toBe('notified by echo.said');
    expect(await sandbox.read('project/announced.txt')).toBe('yes');

    await sandbox.exec('rm', ['announced.txt'], { cwd });
    const second = await sandbox.asc(['run', 'phase4', '--json'], { cwd });
    const again = JSON.parse(second.stdout).tasks as { id: string; status: string }[];
    expect(again.map((r) => [r.id, r.status])).toEqual([
      ['echo.said', 'ok'],
      ['echo.announce', 'skipped'],
    ]);
    expect(existsSync(path.join(cwd, 'announced.txt'))).toBe(false);
  });

  it('plan shows the file diff a task would make, and a plugin sees the merged VM spec', async () => {
    const cwd = await setup('new text');
    await sandbox.write('project/said.txt', 'old text');
    const plan = await sandbox.asc(['plan', 'echo.spec'], { cwd });
    expect(plan.exitCode).toBe(3);
    expect(plan.stdout).toContain('~ echo.said: the message differs');
    expect(plan.stdout).toMatch(/--- ~\/project\/said\.txt\n\s+\+\+\+ ~\/project\/said\.txt/);
    expect(plan.stdout).toMatch(/^\s+-old text$/m);
    expect(plan.stdout).not.toMatch(/^\s*(Index:|====)/m);
    expect(plan.stdout).toMatch(/^\s+\+new text$/m);
    expect(plan.stdout).toContain('↓ echo.spec: skipped: would run after echo.said');
    const run = await sandbox.asc(['run', 'echo.spec'], { cwd });
    expect(run.stdout).toContain('✔ echo.spec: ok');
    expect(run.exitCode).toBe(0);
  });

  it('a missing program fails its task with the install hint, not a stack trace', async () => {
    const cwd = await setup('hi');
    const result = await sandbox.asc(['run', 'echo.tool'], { cwd });
    expect(result.exitCode).toBe(1);
    // This sandbox is no simulated Mac: the message first says asc manages a Mac.
    expect(result.stdout).toContain(
      "✖ echo.tool: failed: asc manages a Mac's Lima VM, and this machine runs Linux: asc-missing-tool not found: install it with `brew install asc-missing-tool`",
    );
  });

  it("a plugin's own schema rejects bad options with the key path", async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write('project/plugins/echo.mjs', echoPlugin);
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/echo.mjs:\n    message: 42\n');
    const result = await sandbox.asc(['run', 'all'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /\.ascrc\.yaml:3:14: plugins\["\.\/plugins\/echo\.mjs"\]\.message: expected string, got number 42/,
    );
  });

  it('a module that is not a plugin is a configuration error', async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write('project/plugins/nothing.mjs', 'export const x = 1;\n');
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/nothing.mjs: {}\n');
    const result = await sandbox.asc(['list'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/plugins\["\.\/plugins\/nothing\.mjs"\]: .* does not export a plugin/);
  });
});

describe('a plugin that imports ascalon', () => {
  it('meets the same AscError the CLI throws: one copy of the code behind the CLI and the library', async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write(
      'project/plugins/tool.mjs',
      `import { AscError, skip } from ${JSON.stringify(path.resolve('dist/index.js'))};
export default {
  name: 'tool',
  tasks: () => [{
    id: 'present',
    check: async (ctx) => {
      try {
        await ctx.exec.query('asc-no-such-tool', []);
        return { converged: true };
      } catch (error) {
        if (error instanceof AscError && error.code === 'E_TOOL_MISSING') return skip('asc-no-such-tool is not installed');
        throw error;
      }
    },
    apply: async () => {},
  }],
};
`,
    );
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/tool.mjs: {}\n');
    const result = await sandbox.asc(['plan', '--json'], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    const tasks = JSON.parse(result.stdout).tasks as { id: string; status: string; reason: string }[];
    expect(tasks.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['tool.present', 'skipped', 'asc-no-such-tool is not installed'],
    ]);
  });
});

describe('a task that does not apply on this machine', () => {
  it('is skipped with its reason, its dependents too, and the run still succeeds', async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write(
      'project/plugins/mac.mjs',
      `import { skip } from ${JSON.stringify(path.resolve('dist/index.js'))};
export default {
  name: 'mac',
  tasks: () => [
    { id: 'agent', check: async () => skip('not a Mac: launchd is macOS only'), apply: async () => { throw new Error('never'); } },
    { id: 'loaded', needs: ['mac.agent'], check: async () => ({ converged: true }), apply: async () => {} },
  ],
};
`,
    );
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/mac.mjs: {}\n');
    for (const command of ['run', 'plan', 'status']) {
      const result = await sandbox.asc([command, '--json'], { cwd });
      expect(result.exitCode).toBe(0);
      const tasks = JSON.parse(result.stdout).tasks as { id: string; status: string; reason: string }[];
      expect(tasks.map((r) => [r.id, r.status, r.reason])).toEqual([
        ['mac.agent', 'skipped', 'not a Mac: launchd is macOS only'],
        ['mac.loaded', 'skipped', 'need mac.agent was skipped'],
      ]);
    }
  });
});

describe('plugins from packages, and plugin bugs', () => {
  it('finds a package published as ESM only (exports with just an import condition)', async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write(
      'project/node_modules/asc-plugin-esm/package.json',
      JSON.stringify({ name: 'asc-plugin-esm', type: 'module', exports: { '.': { import: './index.js' } } }),
    );
    await sandbox.write(
      'project/node_modules/asc-plugin-esm/index.js',
      "export default { name: 'esm', description: 'an ESM-only plugin', tasks: () => [{ id: 'here', check: async () => ({ converged: true }), apply: async () => {} }] };\n",
    );
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  asc-plugin-esm: {}\n');
    const list = await sandbox.asc(['list', '--json'], { cwd });
    expect(list.stderr).toBe('');
    expect(list.exitCode).toBe(0);
    const doc = JSON.parse(list.stdout) as { plugins: { name: string; enabled: boolean }[] };
    expect(doc.plugins).toContainEqual(expect.objectContaining({ name: 'esm', enabled: true }));
    expect((await sandbox.asc(['run', 'esm.here'], { cwd })).exitCode).toBe(0);
  });

  it("a plugin's TypeError is tagged with the plugin and task, and -v shows its stack", async () => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write(
      'project/plugins/buggy.mjs',
      "export default { name: 'buggy', tasks: () => [{ id: 'task', check: async (t) => t.nothing.here(), apply: async () => {} }] };\n",
    );
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/buggy.mjs: {}\n');
    const plain = await sandbox.asc(['run'], { cwd });
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toContain(
      "✖ buggy.task: failed: [plugin buggy] buggy.task: TypeError: Cannot read properties of undefined (reading 'here')",
    );
    expect(plain.stdout).toContain('hint: a bug in the buggy plugin');
    const verbose = await sandbox.asc(['run', '-v'], { cwd });
    expect(verbose.stdout).toMatch(/at .*plugins\/buggy\.mjs:1:\d+/);
  });
});

describe('plugin names', () => {
  it.each([
    ['Echo', 'a plugin name is lower-case letters, digits and "-", starting with a letter'],
    ['my.plugin', 'a plugin name is lower-case letters, digits and "-", starting with a letter'],
    ['core', '"core" is asc\'s own (core.node, core.pending-handlers)'],
    ['all', '"all" is a target of its own (asc run all)'],
    ['phase3', '"phase3" is a target of its own (asc run phase3)'],
  ])('%s is a configuration error that names the module and what a name may be', async (name, why) => {
    const cwd = path.join(sandbox.home, 'project');
    await sandbox.write(
      'project/plugins/named.mjs',
      `export default { name: ${JSON.stringify(name)}, tasks: () => [] };\n`,
    );
    await sandbox.write('project/.ascrc.yaml', 'plugins:\n  ./plugins/named.mjs: {}\n');
    const result = await sandbox.asc(['list'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `plugins["./plugins/named.mjs"]: the plugin in ${path.join(cwd, 'plugins/named.mjs')} is named ${JSON.stringify(name)}: ${why}`,
    );
    expect(result.stderr).toContain('hint: rename it in the module (`name:`)');
  });
});
