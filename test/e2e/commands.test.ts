import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createSandbox, type Sandbox } from '../harness/sandbox.ts';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

const config = `tasks:
  - id: lima.extra
    phase: phase1
    check: "true"
    apply: "true"
  - id: docs.guide
    phase: phase4
    needs: [lima.*]
    check: "true"
    apply: "true"
`;

describe('asc init', () => {
  it('writes a commented starter that asc itself accepts, and refuses to overwrite without --force', async () => {
    const cwd = path.join(sandbox.home, 'repo');
    await sandbox.write('repo/.keep', '');
    const result = await sandbox.asc(['init'], { cwd });
    expect(result.exitCode).toBe(0);
    const text = await sandbox.read('repo/.ascrc.yaml');
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*schema\.json$/m);
    expect(text).toMatch(/^# .*Lima instance/m);
    expect(parse(text)).toMatchObject({
      instance: 'default',
      plugins: { lima: { cpus: 6, memory: '12GiB', disk: '50GiB' } },
      tasks: [],
    });
    // Each size's comment names its own default, not memory's for every one.
    expect(text).toMatch(/^ {4}# Memory, as Lima writes it; default 12GiB\.\n {4}memory: 12GiB$/m);
    expect(text).toMatch(
      /^ {4}# Disk size, which can only grow, as Lima writes it; default 50GiB\.\n {4}disk: 50GiB$/m,
    );
    // asc accepts what it wrote: the same plugins and tasks as the built-in defaults.
    const listed = JSON.parse((await sandbox.asc(['list', '--json'], { cwd })).stdout);
    expect(listed.config).toBe(path.join(cwd, '.ascrc.yaml'));
    expect(
      listed.plugins.filter((p: { enabled: boolean }) => p.enabled).map((p: { name: string }) => p.name),
    ).toEqual(['lima']);

    const again = await sandbox.asc(['init'], { cwd });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/\.ascrc\.yaml already exists[\s\S]*asc init --force/);

    await sandbox.write('repo/.ascrc.yaml', '# mine\n');
    const forced = await sandbox.asc(['init', '--force'], { cwd });
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toMatch(/the old one is in .*backups/);
    const backups = path.join(sandbox.home, '.local/state/asc/backups');
    expect(existsSync(backups) && readdirSync(backups).length).toBe(1);
  });
});

describe('first contact', () => {
  it('asc init -c FILE suggests the next commands with -c FILE', async () => {
    const result = await sandbox.asc(['init', '-c', 'conf dir/asc.yaml'], { cwd: sandbox.home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      "next: `asc plan all -c 'conf dir/asc.yaml'` shows what asc would change; `asc run all -c 'conf dir/asc.yaml'` does it",
    );
  });

  it('asc help and asc help run print help and exit 0; a bare asc is a usage error', async () => {
    const help = await sandbox.asc(['help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: asc \[options\] \[command\]/);
    const run = await sandbox.asc(['help', 'run']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Usage: asc run \[options\] \[targets\.\.\.\]/);
    expect((await sandbox.asc([])).exitCode).toBe(2);
  });

  it('a config that enables nothing says asc has nothing to do', async () => {
    const cwd = path.join(sandbox.home, 'empty');
    await sandbox.write('empty/.ascrc.yaml', 'plugins: {}\n');
    const result = await sandbox.asc(['run'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^asc: no plugin is enabled: asc has nothing to do/);
  });

  it('on a machine that is not a Mac, a missing limactl first says that asc manages a Mac', async () => {
    const cwd = path.join(sandbox.home, 'linux');
    await sandbox.write('linux/.ascrc.yaml', 'plugins:\n  lima: {}\n');
    // No simulated Mac here: uname is this machine's own (Linux), and there is no limactl on PATH.
    const result = await sandbox.asc(['run', 'lima.installed'], { cwd });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      "✖ limactl 0.18.0 or newer (lima.installed): failed: asc manages a Mac's Lima VM, and this machine runs Linux: limactl not found: install it with `brew install lima`",
    );
  });
});

describe('a phase that selects no task', () => {
  it('is exit 2 naming the plugins that would provide it, not "converged (0 ok)"', async () => {
    const cwd = path.join(sandbox.home, 'phases');
    await sandbox.write('phases/.ascrc.yaml', 'plugins:\n  lima: {}\n');
    const docker = await sandbox.asc(['status', 'phase2'], { cwd });
    expect(docker.exitCode).toBe(2);
    expect(docker.stdout).toBe('');
    expect(docker.stderr).toContain(
      'asc: no enabled plugin has a task in phase2: `docker`, `onepassword` would (they are not enabled)',
    );
    const nixos = await sandbox.asc(['status', 'phase6'], { cwd });
    expect(nixos.stderr).toContain('(`nixos: { enabled: true }`)');
    const own = await sandbox.asc(['plan', 'phase4'], { cwd });
    expect(own.exitCode).toBe(2);
    expect(own.stderr).toContain('asc: no task is in phase4');
    expect(own.stderr).toContain('add your own tasks to it (`tasks:` with `phase: phase4`)');
  });
});

describe('asc list and graph', () => {
  it('lists phases and tasks with their needs, as text and as JSON', async () => {
    await sandbox.write('repo/.ascrc.yaml', config);
    const cwd = path.join(sandbox.home, 'repo');
    const text = await sandbox.asc(['list'], { cwd });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/docs\.guide\s+phase4\s+needs lima\.extra/);
    const json = JSON.parse((await sandbox.asc(['list', '--json'], { cwd })).stdout);
    expect(json.tasks).toEqual([
      { id: 'lima.extra', plugin: 'lima', phase: 'phase1', title: 'lima.extra', needs: [] },
      { id: 'docs.guide', plugin: 'docs', phase: 'phase4', title: 'docs.guide', needs: ['lima.extra'] },
    ]);
    expect(json.phases.find((p: { name: string }) => p.name === 'phase4').tasks).toEqual(['docs.guide']);
  });

  it('draws the graph as Mermaid and as DOT, an arrow from each need to its dependent', async () => {
    await sandbox.write('repo/.ascrc.yaml', config);
    const cwd = path.join(sandbox.home, 'repo');
    const mermaid = (await sandbox.asc(['graph'], { cwd })).stdout;
    expect(mermaid).toMatch(/^flowchart LR/);
    expect(mermaid).toContain('t0["lima.extra"]');
    expect(mermaid).toContain('t0 --> t1');
    const dot = (await sandbox.asc(['graph', '--format', 'dot'], { cwd })).stdout;
    expect(dot).toContain('"lima.extra" -> "docs.guide";');
    expect((await sandbox.asc(['graph', '--format', 'svg'], { cwd })).exitCode).toBe(2);
    const json = JSON.parse((await sandbox.asc(['graph', '--json'], { cwd })).stdout);
    expect(json.edges).toEqual([{ from: 'lima.extra', to: 'docs.guide' }]);
    const usage = await sandbox.asc(['graph', '--format', 'svg', '--json'], { cwd });
    expect(JSON.parse(usage.stdout)).toMatchObject({ exitCode: 2, error: { code: 'E_USAGE' } });
  });
});
