// README.md describes exactly what is built: its plugin table lists the plugins `asc list` knows, in
// the phases their tasks are in, switched on as asc switches them on.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, ROOT, type Sandbox } from './harness/sandbox.ts';

interface Listed {
  plugins: { name: string; enabled: boolean; optIn: boolean; builtin: boolean }[];
  tasks: { id: string; plugin: string; phase: string | null }[];
}

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('<!-- plugins:'), readme.indexOf('<!-- /plugins -->'));
const rows = [...table.matchAll(/^\| `([a-z]+)` \| (phase\d) \| ([^|]+) \|/gm)].map((m) => ({
  name: m[1]!,
  phase: m[2]!,
  on: m[3]!.trim(),
}));

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(() => sandbox.cleanup());

const list = async (config?: string) => {
  if (config !== undefined) await sandbox.write('repo/.ascrc.yaml', config);
  const result = await sandbox.asc(['list', '--json'], {
    cwd: path.join(sandbox.home, config === undefined ? '' : 'repo'),
  });
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as Listed;
};

describe('README.md', () => {
  it('opens with the command that sets everything up and the test command', () => {
    const first = readme.split('```sh\n')[1]?.split('```')[0] ?? '';
    expect(first).toMatch(/^npm ci && npx asc run all/m);
    expect(first).toMatch(/^npm test/m);
  });

  it('its config example is a config asc accepts, and it enables lima', async () => {
    const example = readme.split('```yaml\n')[1]?.split('```')[0] ?? '';
    const listed = await list(example);
    expect(listed.plugins.filter((p) => p.enabled).map((p) => p.name)).toEqual(
      expect.arrayContaining(['lima', 'wezterm', 'docker', 'onepassword', 'launchd']),
    );
  });

  it('lists every built-in plugin, and only those, with the phase of its tasks and how it is switched on', async () => {
    const defaults = await list();
    const builtins = defaults.plugins.filter((p) => p.builtin);
    expect(rows.map((r) => r.name)).toEqual(builtins.map((p) => p.name));
    const everything = await list(
      `plugins:\n${builtins.map((p) => `  ${p.name}: ${p.optIn ? '{ enabled: true }' : '{}'}`).join('\n')}\n`,
    );
    for (const row of rows) {
      const plugin = builtins.find((p) => p.name === row.name)!;
      const phases = new Set(everything.tasks.filter((t) => t.plugin === row.name).map((t) => t.phase));
      expect([...phases], row.name).toEqual([row.phase]);
      const on = plugin.optIn ? /^opt-in/ : plugin.enabled ? /^by default$/ : /^when configured$/;
      expect(row.on, row.name).toMatch(on);
    }
  });
});
