import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createVmSpec, editYaml } from '../../src/index.ts';
import { skipUnless } from '../../test/harness/require.ts';
import { creationYaml, limaYamlDrift } from './lima-yaml.ts';
import { formatSize, parseSize, SIZE_PATTERN } from './sizes.ts';

const HOME = '/Users/u';
const spec = (patch: Partial<ReturnType<typeof createVmSpec>> = {}) => ({
  ...createVmSpec(),
  cpus: 6,
  memory: '12GiB',
  disk: '50GiB',
  ...patch,
});

describe('sizes', () => {
  it('reads go-units sizes as binary, whatever the spelling', () => {
    for (const text of ['12GiB', '12G', '12GB', '12 GiB', '12gib']) expect(parseSize(text)).toBe(12884901888);
    expect(parseSize('1.5GiB')).toBe(1610612736);
    expect(parseSize('512MiB')).toBe(536870912);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('lots')).toBeUndefined();
    expect(parseSize(null)).toBeUndefined();
    expect(formatSize(53687091200)).toBe('50GiB');
  });

  it('takes and refuses what go-units v0.5.0 RAMInBytes does (its size_test.go cases, binary)', () => {
    const taken: [string, number][] = [
      ['.5GiB', 536870912],
      ['0.5 G', 536870912],
      ['12 ', 12],
      ['32.', 32],
      ['32. b', 32],
      ['32.5 B', 32],
      ['+1GiB', 1073741824],
      ['1e1KiB', 10240],
      ['-0', 0],
      ['0 B', 0],
    ];
    for (const [text, bytes] of taken) expect([text, parseSize(text)]).toEqual([text, bytes]);
    const refused = [
      '12GiB ',
      '12  GiB',
      ' 12GiB',
      '12GiBs',
      '12Gb ',
      '12bb',
      '12xb',
      '12KB B',
      '.',
      '',
      '-1GiB',
      '1.2.3G',
    ];
    for (const text of refused) expect([text, parseSize(text)]).toEqual([text, undefined]);
    // The schema's pattern agrees, but for the sign, which go-units refuses after parsing.
    for (const [text] of taken) expect(SIZE_PATTERN.test(text)).toBe(true);
    for (const text of refused.filter((t) => t !== '-1GiB'))
      expect([text, SIZE_PATTERN.test(text)]).toEqual([text, false]);
  });
});

describe('limaYamlDrift', () => {
  it('finds nothing when the file already says it, in other spellings', () => {
    const current = { cpus: 6, memory: '12G', disk: '50GB', mounts: [{ location: '~' }] };
    expect(limaYamlDrift(current, spec(), HOME, {}).edits).toEqual([]);
  });

  it('compares null keys with the effective values limactl list reports', () => {
    const current = { cpus: null, memory: null, disk: null };
    const effective = { cpus: 6, memory: 12884901888, disk: 53687091200 };
    expect(limaYamlDrift(current, spec(), HOME, effective).edits).toEqual([]);
    expect(limaYamlDrift(current, spec(), HOME, { ...effective, cpus: 4 }).reasons).toEqual(['cpus 4 → 6']);
  });

  it("takes disk as a minimum: a larger one (a template's null, Lima's 100GiB) is kept with a note, a smaller one grows", () => {
    const larger = limaYamlDrift({ cpus: 6, memory: '12GiB', disk: null }, spec(), HOME, {
      disk: 107374182400,
    });
    expect(larger).toEqual({
      edits: [],
      reasons: [],
      notes: ['disk 100GiB kept: more than the 50GiB asked, and Lima never shrinks a disk'],
    });
    expect(limaYamlDrift({ cpus: 6, memory: '12GiB', disk: '20GiB' }, spec(), HOME, {}).reasons).toEqual([
      'disk 20GiB → 50GiB',
    ]);
    // cpus and memory stay exact, up or down.
    expect(limaYamlDrift({ cpus: 8, memory: '16GiB', disk: '200GiB' }, spec(), HOME, {}).reasons).toEqual([
      'cpus 8 → 6',
      'memory 16GiB → 12GiB',
    ]);
  });

  it('refuses plain: true when the spec has mounts or forwards, which Lima drops in plain mode', () => {
    const plain = { cpus: 6, memory: '12GiB', disk: '50GiB', plain: true };
    const wanted = spec({
      mounts: [{ location: '~/sysinit', writable: true }],
      portForwards: [{ guestSocket: '/run/x.sock', hostSocket: '/tmp/x.sock' }],
    });
    expect(() => limaYamlDrift(plain, wanted, HOME, {})).toThrow(
      'lima.yaml sets plain: true, and in plain mode Lima drops every mount and port forward: mount ~/sysinit, port forward /run/x.sock would never reach the VM',
    );
    // Nothing it would drop: plain mode is the user's business.
    expect(limaYamlDrift(plain, spec(), HOME, {}).edits).toEqual([]);
    expect(limaYamlDrift({ ...plain, plain: false }, wanted, HOME, {}).reasons).toEqual([
      'mount ~/sysinit missing',
      'port forward /run/x.sock missing',
    ]);
  });

  it('adds missing mounts, fixes writable, and leaves the user’s own mounts alone', () => {
    const current = {
      cpus: 6,
      memory: '12GiB',
      disk: '50GiB',
      mounts: [
        { location: '~' },
        { location: '/Users/u/github/sysinit', writable: false },
        { location: '/data' },
      ],
    };
    const wanted = spec({
      mounts: [
        { location: '~/github/sysinit', writable: true },
        { location: '~/.colima/default', writable: true },
      ],
    });
    const { edits } = limaYamlDrift(current, wanted, HOME, {});
    expect(edits).toEqual([
      { op: 'set', path: ['mounts', 1, 'writable'], value: true },
      { op: 'append', path: ['mounts'], value: { location: '~/.colima/default', writable: true } },
    ]);
  });

  it('appends forwards, env, provision and ssh keys that differ', () => {
    const forward = {
      guestSocket: '/run/docker.sock',
      hostSocket: '/Users/u/.colima/default/docker.sock',
      reverse: true,
    };
    const wanted = spec({
      portForwards: [forward],
      env: { DOCKER_HOST: 'unix:///run/docker.sock' },
      provision: [{ mode: 'user', script: 'echo hi' }],
      ssh: { forwardAgent: true },
    });
    const current = {
      cpus: 6,
      memory: '12GiB',
      disk: '50GiB',
      env: { KEEP: 'me' },
      portForwards: [{ guestPort: 80 }],
    };
    const { edits } = limaYamlDrift(current, wanted, HOME, {});
    expect(edits).toEqual([
      { op: 'append', path: ['portForwards'], value: forward },
      { op: 'set', path: ['env', 'DOCKER_HOST'], value: 'unix:///run/docker.sock' },
      { op: 'append', path: ['provision'], value: { mode: 'user', script: 'echo hi' } },
      { op: 'set', path: ['ssh', 'forwardAgent'], value: true },
    ]);
    const after = parse(
      editYaml(
        'cpus: 6\nmemory: 12GiB\ndisk: 50GiB\nenv:\n  KEEP: me\nportForwards:\n- guestPort: 80\n',
        edits,
      ),
    );
    expect(limaYamlDrift(after, wanted, HOME, {}).edits).toEqual([]);
  });
});

describe('env values with guest templates', () => {
  const guest = { Home: '/home/u.guest', User: 'u', UID: 501, Name: 'default', Hostname: 'lima-default' };
  const wanted = spec({
    env: { DOCKER_HOST: 'unix://{{.Home}}/.asc-docker.sock', WHO: '{{ .User }}:{{.UID}}@{{.Hostname}}' },
    portForwards: [{ guestSocket: '{{.Home}}/.asc-docker.sock', hostSocket: '/h.sock', reverse: true }],
  });

  it('are expanded from the instance, since Lima writes env to /etc/environment verbatim', () => {
    const current = { cpus: 6, memory: '12GiB', disk: '50GiB' };
    const drift = limaYamlDrift(current, wanted, HOME, { guest });
    expect(drift.edits).toContainEqual({
      op: 'set',
      path: ['env', 'DOCKER_HOST'],
      value: 'unix:///home/u.guest/.asc-docker.sock',
    });
    expect(drift.edits).toContainEqual({ op: 'set', path: ['env', 'WHO'], value: 'u:501@lima-default' });
    // The forward keeps its template: Lima expands guestSocket itself, and the raw text compares equal.
    const after = parse(editYaml('cpus: 6\nmemory: 12GiB\ndisk: 50GiB\n', drift.edits));
    expect(after.portForwards[0].guestSocket).toBe('{{.Home}}/.asc-docker.sock');
    expect(limaYamlDrift(after, wanted, HOME, { guest }).edits).toEqual([]);
  });

  it('are left out of a new instance, for lima.config to add before the first start', () => {
    const doc = parse(creationYaml(spec({ env: { ...wanted.env, PLAIN: 'x' } }), 'template:default'));
    expect(doc.env).toEqual({ PLAIN: 'x' });
    expect(() => limaYamlDrift(doc, wanted, HOME, {})).toThrow(/env DOCKER_HOST uses a guest template/);
  });
});

describe('creationYaml', () => {
  it('writes the base and every key of the spec, which then shows no drift', () => {
    const wanted = spec({ mounts: [{ location: '~/my code/$(touch x)', writable: true }] });
    const text = creationYaml(wanted, 'template:default');
    expect(text).toMatch(/^# Created by asc/);
    const doc = parse(text);
    expect(doc).toEqual({
      base: 'template:default',
      cpus: 6,
      memory: '12GiB',
      disk: '50GiB',
      mounts: [{ location: '~/my code/$(touch x)', writable: true }],
    });
    expect(limaYamlDrift(doc, wanted, HOME, {}).edits).toEqual([]);
  });
});

// Every template Lima ships, taken as an instance's lima.yaml: asc sets cpus, memory, disk and a mount
// through the same path as lima.config, and every comment and unrelated key stays.
const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/fixtures/lima-templates',
);
const haveFixtures = existsSync(FIXTURES);
skipUnless(haveFixtures, FIXTURES, 'tests read ../shared/fixtures in place');
const templates = haveFixtures
  ? readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => ({ name, text: readFileSync(path.join(FIXTURES, name), 'utf8') }))
      // Upstream symlinks were stored as one-line files naming their target: not templates.
      .filter(({ text }) => isMapping(text))
  : [];

function isMapping(text: string): boolean {
  const value = parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

describe.skipIf(!haveFixtures)(
  `every Lima template (${haveFixtures ? FIXTURES : 'skipped: ../shared/fixtures is absent'})`,
  () => {
    const wanted = spec({ disk: '500GiB', mounts: [{ location: '~/github/sysinit', writable: true }] });
    it.each(templates)('$name keeps its comments and other keys', ({ text }) => {
      const before = parse(text) as Record<string, unknown>;
      if (before.plain === true) {
        // Lima's Windows templates: plain mode would drop the mount, so asc refuses rather than converge.
        expect(() => limaYamlDrift(before, wanted, HOME, {})).toThrow(/lima\.yaml sets plain: true/);
        return;
      }
      const drift = limaYamlDrift(before, wanted, HOME, {});
      const after = editYaml(text, drift.edits);
      const comments = (t: string) =>
        t
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l.startsWith('#'));
      expect(comments(after)).toEqual(comments(text));
      const parsed = parse(after) as Record<string, unknown>;
      const { cpus, memory, disk, mounts, ...rest } = parsed;
      const { cpus: _c, memory: _m, disk: _d, mounts: oldMounts, ...oldRest } = before;
      expect(rest).toEqual(oldRest);
      expect({ cpus, memory, disk }).toEqual({ cpus: 6, memory: '12GiB', disk: '500GiB' });
      expect(mounts).toEqual([
        ...((oldMounts as unknown[]) ?? []),
        { location: '~/github/sysinit', writable: true },
      ]);
      expect(limaYamlDrift(parsed, wanted, HOME, {}).edits).toEqual([]);
    });
  },
);
