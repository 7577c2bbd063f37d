import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { editYaml, type YamlEdit, YamlEditError } from './yaml-edit.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TEMPLATES = path.resolve(ROOT, '../shared/fixtures/lima-templates');

const set = (p: (string | number)[], value: unknown): YamlEdit => ({ op: 'set', path: p, value });
const append = (p: (string | number)[], value: unknown): YamlEdit => ({ op: 'append', path: p, value });
const del = (p: (string | number)[]): YamlEdit => ({ op: 'delete', path: p });

/** Lines removed from `before` and added in `after`, by a line diff. */
function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\r?\n$/, '').split(/\r?\n/);
    if (part.removed) removed.push(...lines);
    if (part.added) added.push(...lines);
  }
  return { removed, added };
}

describe('editYaml: scalars', () => {
  it('keeps double and single quotes when the new string fits them', () => {
    expect(editYaml('memory: "4GiB"\n', [set(['memory'], '12GiB')])).toBe('memory: "12GiB"\n');
    expect(editYaml("disk: '100GiB'\n", [set(['disk'], "it's")])).toBe("disk: 'it''s'\n");
    expect(editYaml('name: "a"\n', [set(['name'], 'say "hi"\n')])).toBe('name: "say \\"hi\\"\\n"\n');
  });

  it('writes plain when safe and double quotes when plain would not round-trip', () => {
    expect(editYaml('name: foo\n', [set(['name'], '~/github/x')])).toBe('name: ~/github/x\n');
    for (const tricky of ['true', '12', 'null', 'a: b', 'a #b', '- x', '', ' pad', '*x', '{a}']) {
      const out = editYaml('name: foo\n', [set(['name'], tricky)]);
      expect(out).toBe(`name: ${JSON.stringify(tricky)}\n`);
      expect(parse(out)).toEqual({ name: tricky });
    }
  });

  it('keeps a trailing comment and its spacing', () => {
    expect(editYaml('cpus: 4   # comment\nx: 1\n', [set(['cpus'], 6)])).toBe('cpus: 6   # comment\nx: 1\n');
  });

  it('replaces null, ~ and empty values', () => {
    expect(editYaml('cpus: null\n', [set(['cpus'], 6)])).toBe('cpus: 6\n');
    expect(editYaml('cpus: ~ # c\n', [set(['cpus'], 6)])).toBe('cpus: 6 # c\n');
    expect(editYaml('cpus:\nx: 1\n', [set(['cpus'], 6)])).toBe('cpus: 6\nx: 1\n');
    expect(editYaml('cpus:   # how many\nx: 1\n', [set(['cpus'], 6)])).toBe('cpus: 6   # how many\nx: 1\n');
  });

  it('replaces a block scalar and a block collection with a scalar', () => {
    expect(editYaml('m: |\n  one\n  two\nx: 1\n', [set(['m'], 'hi')])).toBe('m: hi\nx: 1\n');
    expect(editYaml('m: # c\n  a: 1\n  b: 2\nx: 1\n', [set(['m'], 5)])).toBe('m: 5 # c\nx: 1\n');
  });

  it('leaves the text byte-identical when the value is already equal', () => {
    const src = 'a: ~\nb: "4GiB"  # q\nc: [1, 2]\nd:\n  e: true\nf:\n- x: 1\n';
    const same = [set(['a'], null), set(['b'], '4GiB'), set(['c'], [1, 2]), set(['d'], { e: true })];
    expect(editYaml(src, [...same, set(['f'], [{ x: 1 }]), append(['f'], { x: 1 })])).toBe(src);
    expect(editYaml(src, [del(['missing']), del(['d', 'nope'])])).toBe(src);
  });
});

describe('editYaml: inserting keys', () => {
  it('inserts a missing key after the last entry of its map, before what follows', () => {
    const src = 'vmOpts:\n    vz:\n        rosetta: false   # x\n\n# about next\nnext: 1\n';
    expect(editYaml(src, [set(['vmOpts', 'vz', 'mode'], 'fast')])).toBe(
      'vmOpts:\n    vz:\n        rosetta: false   # x\n        mode: fast\n\n# about next\nnext: 1\n',
    );
  });

  it('creates missing parent maps in the file indentation', () => {
    const src = 'a:\n    b: 1\n';
    expect(editYaml(src, [set(['x', 'y', 'z'], 1)])).toBe('a:\n    b: 1\nx:\n    y:\n        z: 1\n');
    expect(editYaml('a:\n# c\nb: 2\n', [set(['a', 'k'], 'v')])).toBe('a:\n  k: v\n# c\nb: 2\n');
  });

  it('appends top-level keys at the end of the document, adding a newline if missing', () => {
    expect(editYaml('a: 1\n# end\n', [set(['b'], 2)])).toBe('a: 1\n# end\nb: 2\n');
    expect(editYaml('a: 1', [set(['b'], 2)])).toBe('a: 1\nb: 2');
    expect(editYaml('', [set(['b'], 2)])).toBe('b: 2\n');
    expect(editYaml('# only a comment\n', [set(['b'], 2)])).toBe('# only a comment\nb: 2\n');
  });

  it('inserts into a mapping that is a sequence item', () => {
    const src = 'mounts:\n- location: "~"\n# after\n';
    expect(editYaml(src, [set(['mounts', 0, 'writable'], true)])).toBe(
      'mounts:\n- location: "~"\n  writable: true\n# after\n',
    );
  });

  it('keeps CRLF line endings', () => {
    const src = 'a: 1\r\nb:\r\n  c: 2\r\nl:\r\n- x\r\n';
    expect(editYaml(src, [set(['b', 'd'], 'v'), append(['l'], 'y'), set(['e'], 3)])).toBe(
      'a: 1\r\nb:\r\n  c: 2\r\n  d: v\r\nl:\r\n- x\r\n- y\r\ne: 3\r\n',
    );
  });
});

describe('editYaml: lists', () => {
  const mount = { location: '~/src', writable: true };

  it('appends after the last item with the dash at the key column (Lima style)', () => {
    const src = 'mounts:\n- location: "~"\n  # inner comment\n\n# - location: /tmp\nnext: 1\n';
    expect(editYaml(src, [append(['mounts'], mount)])).toBe(
      'mounts:\n- location: "~"\n- location: ~/src\n  writable: true\n  # inner comment\n\n# - location: /tmp\nnext: 1\n',
    );
  });

  it('appends after the last item with an indented dash', () => {
    const src = 'top:\n  mounts:\n    - location: "~"\n      writable: false # ro\n  other: 1\n';
    expect(editYaml(src, [append(['top', 'mounts'], mount)])).toBe(
      'top:\n  mounts:\n    - location: "~"\n      writable: false # ro\n    - location: ~/src\n      writable: true\n  other: 1\n',
    );
  });

  it('turns an empty flow list, a null or a missing key into a block list in the file style', () => {
    const expected = 'base:\n- b\nmounts:\n- location: ~/src\n  writable: true\nz: 1\n';
    expect(editYaml('base:\n- b\nmounts: []\nz: 1\n', [append(['mounts'], mount)])).toBe(expected);
    expect(editYaml('base:\n- b\nmounts: null\nz: 1\n', [append(['mounts'], mount)])).toBe(expected);
    expect(editYaml('base:\n- b\nmounts: null\nz: 1\n', [set(['mounts'], [mount])])).toBe(expected);
    expect(editYaml('base:\n- b\nmounts: []  # none\n', [append(['mounts'], 'x')])).toBe(
      'base:\n- b\nmounts:  # none\n- x\n',
    );
    expect(editYaml('a: 1\n', [append(['mounts'], 'x')])).toBe('a: 1\nmounts:\n  - x\n');
  });

  it('replaces a block list with a new list, keeping the comment on the key line', () => {
    const src = 'l: # keep\n- 1\n- 2  # two\nz: 1\n';
    expect(editYaml(src, [set(['l'], ['a', 'b'])])).toBe('l: # keep\n- a\n- b\nz: 1\n');
    expect(editYaml(src, [set(['l', 1], 'x')])).toBe('l: # keep\n- 1\n- x  # two\nz: 1\n');
  });

  it('re-renders a flow collection when editing inside it', () => {
    expect(editYaml('a: {x: 1, y: [2]}\n', [set(['a', 'x'], 5), append(['a', 'y'], 3)])).toBe(
      'a: {x: 5, y: [2, 3]}\n',
    );
    expect(editYaml('a: [1, 2]\n', [append(['a'], 3)])).toBe('a: [1, 2, 3]\n');
  });
});

describe('editYaml: delete', () => {
  it('removes exactly the lines of a key and its value', () => {
    const src = '# c1\na: 1\n# c2\nb:\n  c: 1\n  d: [1]\n\n# c3\ne: 2\n';
    expect(editYaml(src, [del(['b'])])).toBe('# c1\na: 1\n# c2\n\n# c3\ne: 2\n');
    expect(editYaml(src, [del(['b', 'c'])])).toBe('# c1\na: 1\n# c2\nb:\n  d: [1]\n\n# c3\ne: 2\n');
  });

  it('removes a sequence item, or the first key of an item map', () => {
    const src = 'l:\n- a: 1\n  b: 2\n- c: 3\n';
    expect(editYaml(src, [del(['l', 1])])).toBe('l:\n- a: 1\n  b: 2\n');
    expect(editYaml(src, [del(['l', 0, 'a'])])).toBe('l:\n- b: 2\n- c: 3\n');
    expect(editYaml(src, [del(['l', 1, 'c'])])).toBe('l:\n- a: 1\n  b: 2\n- {}\n');
    expect(editYaml('l:\n- x\n', [del(['l', 0])])).toBe('l: []\n');
  });
});

describe('editYaml: errors', () => {
  it('throws YamlEditError naming the path when it goes through a scalar', () => {
    expect(() => editYaml('cpus: 4\n', [set(['cpus', 'x'], 1)])).toThrow(YamlEditError);
    expect(() => editYaml('cpus: 4\n', [set(['cpus', 'x'], 1)])).toThrow(/cpus\.x/);
    expect(() => editYaml('l: [1]\n', [set(['l', 'k', 'z'], 1)])).toThrow(/l\.k\.z/);
    expect(() => editYaml('m:\n- 1\n', [set(['m', 5], 1)])).toThrow(/m\[5\]/);
    expect(() => editYaml('m:\n  a: 1\n', [append(['m'], 1)])).toThrow(/cannot append to m/);
    expect(() => editYaml('just a scalar\n', [set(['cpus'], 1)])).toThrow(YamlEditError);
  });

  it('throws YamlEditError on a source with parse errors', () => {
    expect(() => editYaml('a: [1\nb: 2\n', [set(['b'], 3)])).toThrow(YamlEditError);
    expect(() => editYaml('a: 1\na: 2\n', [set(['a'], 3)])).toThrow(/does not parse/);
  });
});

describe('editYaml: a diff of exactly the changed line', () => {
  const lima = [
    '# This is my VM.',
    'vmType: vz',
    '',
    '# 🟢 Builtin default: min(4, host CPU cores)',
    'cpus: 4',
    '  ',
    'memory: "4GiB"   # plenty',
    'mounts:',
    '- location: "~"',
    '  writable: false',
    '# - location: /tmp/lima',
    'containerd:',
    '  system: false',
    '',
  ].join('\n');

  it('changes one line when setting cpus', () => {
    const out = editYaml(lima, [set(['cpus'], 6)]);
    const { removed, added } = lineChanges(lima, out);
    expect(removed).toEqual(['cpus: 4']);
    expect(added).toEqual(['cpus: 6']);
    expect(out).toBe(lima.replace('cpus: 4', 'cpus: 6'));
  });
});

const LINK = /^[\w.-]+\.yaml$/;
const MOUNT = { location: '~/github/sysinit', writable: true };
const EDITS: YamlEdit[] = [
  set(['cpus'], 6),
  set(['memory'], '12GiB'),
  set(['disk'], '50GiB'),
  append(['mounts'], MOUNT),
];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => path.relative(TEMPLATES, path.join(e.parentPath, e.name)))
    .sort();
}

const present = existsSync(TEMPLATES);
const skip = !present && process.env.CI !== 'true';
const title = `editYaml on every Lima template${skip ? ` (skipped: ${TEMPLATES} is absent)` : ''}`;

describe.skipIf(skip)(title, () => {
  it('finds the fixtures', () => {
    expect(present, `${TEMPLATES} must exist in CI`).toBe(true);
    expect(yamlFiles(TEMPLATES).length).toBeGreaterThan(50);
  });

  const files = present ? yamlFiles(TEMPLATES) : [];

  // Upstream symlinks (e.g. ubuntu.yaml -> ubuntu-26.04.yaml) are checked out as one-line text files.
  const links = files.filter((f) => LINK.test(readFileSync(path.join(TEMPLATES, f), 'utf8').trim()));
  it.each(links)('%s: a symlink stub to a template that exists; editing the stub itself throws', (file) => {
    const src = readFileSync(path.join(TEMPLATES, file), 'utf8');
    expect(existsSync(path.join(TEMPLATES, path.dirname(file), src.trim()))).toBe(true);
    expect(() => editYaml(src, EDITS)).toThrow(YamlEditError);
  });

  it.each(files.filter((f) => !links.includes(f)))('%s: four edits change only their lines', (file) => {
    const src = readFileSync(path.join(TEMPLATES, file), 'utf8');
    const out = editYaml(src, EDITS);

    const doc = parseDocument(out);
    expect(doc.errors).toEqual([]);
    const original = parse(src) as Record<string, unknown>;
    const oldMounts = Array.isArray(original.mounts) ? original.mounts : [];
    const expected = { ...original, cpus: 6, memory: '12GiB', disk: '50GiB', mounts: [...oldMounts, MOUNT] };
    expect(doc.toJS()).toEqual(expected);

    const comments = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('#'));
    expect(comments(out)).toEqual(comments(src));

    const { removed, added } = lineChanges(src, out);
    const noFinalNewline = src.endsWith('\n') ? 0 : 1;
    const touched = /^(cpus|memory|disk|mounts):/;
    expect(removed.length).toBeLessThanOrEqual(4 + noFinalNewline);
    expect(removed.filter((l) => !touched.test(l)).length).toBeLessThanOrEqual(noFinalNewline);
    const mountLines = added.filter((l) => /^\s*(- location: ~\/github\/sysinit|writable: true)$/.test(l));
    expect(mountLines).toHaveLength(2);
    expect(added.length).toBeLessThanOrEqual(3 + 1 + mountLines.length + noFinalNewline);
    expect(added.filter((l) => !touched.test(l) && !mountLines.includes(l)).length).toBeLessThanOrEqual(
      noFinalNewline,
    );

    expect(editYaml(out, EDITS)).toBe(out);
  });
});
