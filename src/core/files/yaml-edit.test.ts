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
    expect(editYaml(src, [set(['x', 'w', 'z'], 1)])).toBe('a:\n    b: 1\nx:\n    w:\n        z: 1\n');
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
    expect(editYaml(src, [set(['b', 'd'], 'v'), append(['l'], 'z'), set(['e'], 3)])).toBe(
      'a: 1\r\nb:\r\n  c: 2\r\n  d: v\r\nl:\r\n- x\r\n- z\r\ne: 3\r\n',
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

  it('edits inside a flow collection in place', () => {
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

// Hand-written files beyond the templates: every shape YAML lets a person write.

describe('editYaml: a byte-order mark', () => {
  it('adds a key to a file that starts with one, at the right column, and keeps the mark', () => {
    const src = '\uFEFFcpus: 4\nmemory: 4GiB\n';
    expect(editYaml(src, [set(['disk'], '50GiB')])).toBe('\uFEFFcpus: 4\nmemory: 4GiB\ndisk: 50GiB\n');
    expect(editYaml('\uFEFFa:\n  b: 1\n', [set(['a', 'c'], 2)])).toBe('\uFEFFa:\n  b: 1\n  c: 2\n');
  });

  it('sets, appends and deletes after one, with CRLF', () => {
    const src = '\uFEFFcpus: 4\r\nmounts:\r\n- location: "~"\r\nenv:\r\n  A: 1\r\n  B: 2\r\n';
    expect(
      editYaml(src, [set(['cpus'], 6), append(['mounts'], { location: '/tmp' }), del(['env', 'A'])]),
    ).toBe('\uFEFFcpus: 6\r\nmounts:\r\n- location: "~"\r\n- location: /tmp\r\nenv:\r\n  B: 2\r\n');
  });
});

describe('editYaml: flow collections', () => {
  it('appends to a flow sequence without rewriting its other items', () => {
    const src = `mounts: [{location: "/tmp/lima"}, {location: '~'}]\n`;
    expect(editYaml(src, [append(['mounts'], { location: '~/src', writable: true })])).toBe(
      `mounts: [{location: "/tmp/lima"}, {location: '~'}, {location: ~/src, writable: true}]\n`,
    );
  });

  it('sets and deletes one item, touching only its span', () => {
    const src = `mounts: [{location: "/tmp/lima"}, {location: '~'}]\n`;
    expect(editYaml(src, [set(['mounts', 1, 'writable'], true)])).toBe(
      `mounts: [{location: "/tmp/lima"}, {location: '~', writable: true}]\n`,
    );
    expect(editYaml(src, [del(['mounts', 0])])).toBe(`mounts: [{location: '~'}]\n`);
    expect(editYaml(src, [del(['mounts', 1])])).toBe(`mounts: [{location: "/tmp/lima"}]\n`);
    expect(editYaml('m: {a: 1, b: 2}\n', [del(['m', 'a'])])).toBe('m: {b: 2}\n');
    expect(editYaml('m: {a: 1, b: 2}\n', [set(['m', 'a'], { deep: [1] })])).toBe(
      'm: {a: {deep: [1]}, b: 2}\n',
    );
    expect(editYaml('l: [ a ]\n', [del(['l', 0])])).toBe('l: []\n');
  });

  it('uses the separators and padding the collection already has', () => {
    expect(editYaml('l: [a,b]\n', [append(['l'], 'c d')])).toBe('l: [a,b,c d]\n');
    expect(editYaml('l: [a, b,]\n', [append(['l'], 'c'), del(['l', 0])])).toBe('l: [b, c,]\n');
    expect(editYaml('m: { a: 1 }\n', [set(['m', 'b'], [1, 'x, y'])])).toBe('m: { a: 1, b: [ 1, "x, y" ] }\n');
    expect(editYaml('m: {a}\n', [set(['m', 'a'], 1)])).toBe('m: {a: 1}\n');
    expect(editYaml('m: {a: }\n', [set(['m', 'a'], 1)])).toBe('m: {a: 1}\n');
  });

  it('puts a new item on its own line in a collection written one item a line, comments kept', () => {
    const src = 'l: [\n  a,  # first\n  b  # second\n]\n';
    expect(editYaml(src, [append(['l'], 'c')])).toBe('l: [\n  a,  # first\n  b,  # second\n  c\n]\n');
    expect(editYaml('l: [\n  a,\n  b,  # second\n]\n', [append(['l'], 'c')])).toBe(
      'l: [\n  a,\n  b,  # second\n  c,\n]\n',
    );
    expect(editYaml('l: [\n  a,\n  b]\n', [append(['l'], 'c')])).toBe('l: [\n  a,\n  b,\n  c]\n');
    expect(editYaml(src, [del(['l', 0])])).toBe('l: [\n  b  # second\n]\n');
    expect(editYaml(src, [del(['l', 1])])).toBe('l: [\n  a  # first\n]\n');
  });

  it('writes into an empty flow collection: in flow inside flow, as a block under a block key', () => {
    expect(editYaml('m: {l: []}\n', [append(['m', 'l'], 'x')])).toBe('m: {l: [x]}\n');
    expect(editYaml('env: {}\n', [set(['env', 'A'], 'b')])).toBe('env:\n  A: b\n');
    expect(editYaml('--- {cpus: 4}\n', [set(['memory'], '1GiB')])).toBe('--- {cpus: 4, memory: 1GiB}\n');
  });
});

describe('editYaml: anchors, aliases and merge keys', () => {
  // Rule: an edit may change only the node at its path. What an alias or a merge key shares is not edited.
  const src =
    'base: &base\n  cpus: 2\n  memory: 2GiB\nvm:\n  <<: *base\n  disk: 10GiB\nlist: &l [a, b]\nother: *l\n';

  it('overrides a key a mapping gets through <<, in that mapping only', () => {
    expect(editYaml(src, [set(['vm', 'cpus'], 4)])).toBe(
      src.replace('  disk: 10GiB\n', '  disk: 10GiB\n  cpus: 4\n'),
    );
    expect(editYaml(src, [set(['vm', 'disk'], '20GiB')])).toBe(src.replace('10GiB', '20GiB'));
    expect(editYaml(src, [set(['vm', 'memory'], '2GiB')])).toBe(src);
  });

  it('replaces an alias with a value, leaving the anchored node alone', () => {
    expect(editYaml(src, [set(['other'], ['c'])])).toBe(src.replace('other: *l\n', 'other:\n  - c\n'));
  });

  it('replaces a node whose anchors only its own aliases use', () => {
    expect(editYaml('a: {x: &q 1, y: *q}\nb: 2\n', [set(['a'], 5)])).toBe('a: 5\nb: 2\n');
    expect(() => editYaml('a: {x: &q 1, y: *q}\nb: *q\n', [set(['a'], 5)])).toThrow(
      /^cannot set a: a holds &q, which an alias refers to/,
    );
  });

  it('keeps an anchor no alias uses', () => {
    expect(editYaml('a: &unused 1\nb: &m {x: 1}\n', [set(['a'], 2), set(['b', 'z'], 2)])).toBe(
      'a: &unused 2\nb: &m {x: 1, z: 2}\n',
    );
  });

  it('refuses to change what an alias or a merge key shares, naming the path and why', () => {
    const refusals: [YamlEdit, RegExp][] = [
      [
        set(['base', 'cpus'], 4),
        /^cannot set base\.cpus: base is anchored as &base; changing it would change/,
      ],
      [set(['base'], { cpus: 4 }), /^cannot set base: base holds &base, which an alias refers to/],
      [del(['base']), /^cannot delete base: base holds &base, which an alias refers to/],
      [append(['list'], 'c'), /^cannot append list: list is anchored as &l/],
      [append(['other'], 'c'), /^cannot append other: other is an alias of &l/],
      [set(['other', 0], 'z'), /^cannot set other\[0\]: other is an alias of &l/],
      [
        del(['vm', 'memory']),
        /^cannot delete vm\.memory: vm\.memory comes from the merge key \(<<: \*base\)/,
      ],
    ];
    for (const [edit, message] of refusals) {
      expect(() => editYaml(src, [edit])).toThrow(YamlEditError);
      expect(() => editYaml(src, [edit])).toThrow(message);
    }
    const nested = 'base: &b\n  opts: {a: 1}\nvm:\n  <<: *b\n';
    expect(() => editYaml(nested, [set(['vm', 'opts', 'b'], 2)])).toThrow(
      /^cannot set vm\.opts\.b: vm\.opts comes from the merge key \(<<: \*b\) of vm/,
    );
    const shadowed = `${nested}  opts: {z: 1}\n`;
    expect(editYaml(shadowed, [set(['vm', 'opts', 'b'], 2)])).toBe(
      shadowed.replace('{z: 1}', '{z: 1, b: 2}'),
    );
    expect(() => editYaml(shadowed, [del(['vm', 'opts'])])).toThrow(
      /^cannot delete vm\.opts: vm also gets opts from its merge key \(<<: \*b\), which would still give it a value/,
    );
    expect(() => editYaml(src, [set(['vm', '<<'], 1)])).toThrow(/merge keys \(<<\) are not edited/);
  });
});

describe('editYaml: tags', () => {
  it('keeps a tag when the new value has its type', () => {
    expect(editYaml('cpus: !!str 6\n', [set(['cpus'], '7')])).toBe('cpus: !!str "7"\n');
    expect(editYaml('cpus: !!int 6\n', [set(['cpus'], 7)])).toBe('cpus: !!int 7\n');
    expect(editYaml('pw: !secret abc\n', [set(['pw'], 'xyz')])).toBe('pw: !secret xyz\n');
    expect(editYaml('m: !!map\n  a: 1\n', [set(['m', 'b'], 2)])).toBe('m: !!map\n  a: 1\n  b: 2\n');
  });

  it('refuses a value the tag would turn into another type', () => {
    expect(() => editYaml('cpus: !!str 6\n', [set(['cpus'], 7)])).toThrow(
      'cannot set cpus to 7: it is tagged !!str, and asc keeps tags, so it would read as "7"; remove the tag or edit it by hand',
    );
    expect(() => editYaml('cpus: !!int 6\n', [set(['cpus'], '7')])).toThrow(/tagged !!int.*would read as 7;/);
  });
});

describe('editYaml: document markers and empty documents', () => {
  it('edits between a %YAML directive, --- and ...; new keys go before the end marker', () => {
    expect(editYaml('%YAML 1.2\n---\ncpus: 4\n...\n', [set(['cpus'], 6), set(['disk'], '1GiB')])).toBe(
      '%YAML 1.2\n---\ncpus: 6\ndisk: 1GiB\n...\n',
    );
    expect(editYaml('--- # my vm\ncpus: 4\n...\n# after the end\n', [set(['memory'], '1GiB')])).toBe(
      '--- # my vm\ncpus: 4\nmemory: 1GiB\n...\n# after the end\n',
    );
  });

  it('writes into an empty document, one of only comments, only markers, or only ~', () => {
    expect(editYaml('', [append(['mounts'], { location: '~' })])).toBe('mounts:\n  - location: "~"\n');
    expect(editYaml('# just\n# comments\n', [set(['env', 'A'], 'b')])).toBe(
      '# just\n# comments\nenv:\n  A: b\n',
    );
    expect(editYaml('---\n', [set(['cpus'], 4)])).toBe('---\ncpus: 4\n');
    expect(editYaml('---\n...\n', [set(['cpus'], 4)])).toBe('---\ncpus: 4\n...\n');
    expect(editYaml('~\n', [set(['cpus'], 4)])).toBe('cpus: 4\n');
    expect(editYaml('# c\n', [del(['cpus'])])).toBe('# c\n');
  });

  it('refuses a top level that is not a mapping', () => {
    expect(() => editYaml('- a\n- b\n', [set(['cpus'], 4)])).toThrow(
      "cannot set cpus: the document's top level is a sequence, not a mapping",
    );
    expect(() => editYaml('just text\n', [set(['cpus'], 4)])).toThrow(/top level is a scalar, not a mapping/);
    expect(() => editYaml('a: 1\n---\nb: 2\n', [set(['cpus'], 4)])).toThrow(/does not parse/);
  });
});

describe('editYaml: comments everywhere', () => {
  const src = [
    '# head',
    'cpus: 4 # eol',
    '# before mounts',
    'mounts: # key line',
    '  # first item',
    '  - location: "~" # loc',
    '    writable: false',
    '  # between',
    '  - location: /tmp/lima',
    '  # after last',
    '# tail',
    '',
  ].join('\n');

  it('appends after the last item, before the comments that follow it', () => {
    expect(editYaml(src, [append(['mounts'], { location: '~/src' })])).toBe(
      src.replace('/tmp/lima\n', '/tmp/lima\n  - location: ~/src\n'),
    );
  });

  it('sets beside comments on the same and the neighbouring lines', () => {
    expect(editYaml(src, [set(['mounts', 0, 'writable'], true)])).toBe(src.replace('false', 'true'));
    expect(editYaml(src, [set(['cpus'], 6)])).toBe(src.replace('cpus: 4', 'cpus: 6'));
    expect(editYaml(src, [set(['mounts'], [])])).toBe(
      '# head\ncpus: 4 # eol\n# before mounts\nmounts: [] # key line\n  # after last\n# tail\n',
    );
  });

  it('deletes an item with the comments on its lines, keeping those above and below', () => {
    expect(editYaml(src, [del(['mounts', 0])])).toBe(
      src.replace('  - location: "~" # loc\n    writable: false\n', ''),
    );
    expect(editYaml(src, [del(['mounts', 1])])).toBe(src.replace('  - location: /tmp/lima\n', ''));
    expect(editYaml(src, [del(['cpus'])])).toBe(src.replace('cpus: 4 # eol\n', ''));
  });

  it('keeps a comment that stands above the next key of a `- ` item', () => {
    expect(editYaml('l:\n- a: 1\n  # about b\n  b: 2\n', [del(['l', 0, 'a'])])).toBe(
      'l:\n-\n  # about b\n  b: 2\n',
    );
  });
});

describe('editYaml: line endings, tabs and multi-byte text', () => {
  it('writes every new line with CRLF in a CRLF file', () => {
    const src = 'l: [\r\n  a,\r\n  b\r\n]\r\nm:\r\n  x: 1\r\n';
    const out = editYaml(src, [
      append(['l'], 'c'),
      set(['m', 'z'], 'two\nlines\n'),
      append(['p'], { mode: 'user', script: '#!/bin/sh\necho hi\n' }),
    ]);
    expect(out).toBe(
      'l: [\r\n  a,\r\n  b,\r\n  c\r\n]\r\nm:\r\n  x: 1\r\n  z: |\r\n    two\r\n    lines\r\n' +
        'p:\r\n  - mode: user\r\n    script: |\r\n      #!/bin/sh\r\n      echo hi\r\n',
    );
    expect(out.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(editYaml('a: 1\r\nb: 2\r\n', [del(['a'])])).toBe('b: 2\r\n');
  });

  it('keeps tabs in values, separators and comments', () => {
    expect(
      editYaml('a:\tfoo\t# tab\tcomment\nb: "x\\ty"\n', [
        set(['a'], 'bar'),
        set(['b'], 'p\tq'),
        set(['c'], 'r\ts'),
      ]),
    ).toBe('a:\tbar\t# tab\tcomment\nb: "p\\tq"\nc: "r\\ts"\n');
  });

  it('counts offsets in UTF-16 code units, as the parser does, past emoji and CJK text', () => {
    expect(
      editYaml('# 🟢 Builtin default: 中文\nname: "😀 é"  # ✓\ncpus: 4\n', [
        set(['cpus'], 6),
        set(['name'], '中文'),
        set(['x'], '🚀'),
      ]),
    ).toBe('# 🟢 Builtin default: 中文\nname: "中文"  # ✓\ncpus: 6\nx: 🚀\n');
    expect(editYaml('l: [😀, 中文]  # 🟢\n', [append(['l'], 'ü'), del(['l', 0])])).toBe(
      'l: [中文, ü]  # 🟢\n',
    );
    expect(editYaml('m:\n  k: 😀😀😀\n  j: 1\n', [set(['m', 'j'], 2), set(['m', 'k2'], 3)])).toBe(
      'm:\n  k: 😀😀😀\n  j: 2\n  k2: 3\n',
    );
  });
});

describe('editYaml: keys', () => {
  it('finds quoted keys and keys with colons, and quotes new keys that need it', () => {
    expect(
      editYaml(`"cpus": 4\n'memory': 4GiB\n`, [
        set(['cpus'], 6),
        set(['memory'], '8GiB'),
        set(['disk'], '1GiB'),
      ]),
    ).toBe(`"cpus": 6\n'memory': 8GiB\ndisk: 1GiB\n`);
    expect(
      editYaml('"a:b": 1\nc:d: 2\n"x y": {"p q": 1}\n', [
        set(['a:b'], 3),
        set(['c:d'], 4),
        set(['x y', 'p q'], 5),
        set(['e: f'], 6),
      ]),
    ).toBe('"a:b": 3\nc:d: 4\n"x y": {"p q": 5}\n"e: f": 6\n');
  });

  it('quotes new strings that a YAML 1.1 reader takes for booleans or numbers', () => {
    expect(editYaml('a: 1\n', [set(['y'], 'yes'), set(['b'], ['on', '0777', '0o17', '1_000', 'x'])])).toBe(
      'a: 1\n"y": "yes"\nb:\n  - "on"\n  - "0777"\n  - "0o17"\n  - "1_000"\n  - x\n',
    );
  });
});

describe('editYaml: block scalars', () => {
  const src =
    'provision:\n- mode: system\n  script: |\n    #!/bin/bash\n    echo hi\n\n    echo bye\n# after\ncpus: 4\n';

  it('edits before and after a `|` block, and appends a script as a `|` block', () => {
    expect(
      editYaml(src, [append(['provision'], { mode: 'user', script: 'echo user\n' }), set(['cpus'], 6)]),
    ).toBe(src.replace('# after\ncpus: 4', '- mode: user\n  script: |\n    echo user\n# after\ncpus: 6'));
  });

  it('writes a new multi-line value as a `|` block again, and a one-line value plain', () => {
    expect(editYaml(src, [set(['provision', 0, 'script'], '#!/bin/sh\necho changed\n')])).toBe(
      'provision:\n- mode: system\n  script: |\n    #!/bin/sh\n    echo changed\n# after\ncpus: 4\n',
    );
    expect(editYaml(src, [set(['provision', 0, 'script'], 'one line')])).toBe(
      'provision:\n- mode: system\n  script: one line\n# after\ncpus: 4\n',
    );
    expect(editYaml('m:\n  a: >\n    folded\n    text\n  b: 1\n', [set(['m', 'a'], 'new\ntext\n')])).toBe(
      'm:\n  a: |\n    new\n    text\n  b: 1\n',
    );
  });

  it('deletes a block with its lines', () => {
    expect(editYaml(src, [del(['provision', 0, 'script'])])).toBe(
      'provision:\n- mode: system\n# after\ncpus: 4\n',
    );
  });

  it('keeps the blank lines a `|+` block holds when a key goes after it', () => {
    expect(editYaml('m:\n  a: |+\n    keep\n\n', [set(['m', 'z'], 1)])).toBe(
      'm:\n  a: |+\n    keep\n\n  z: 1\n',
    );
    expect(editYaml('a: |+\n  keep\n\nb: 1\n', [set(['c'], 1)])).toBe('a: |+\n  keep\n\nb: 1\nc: 1\n');
  });

  it('deletes an entry after a `|` block with its deeper comments, which would otherwise join the block', () => {
    expect(editYaml('b: |-\n  line one\naa:\n  x: 1\n  # deeper\n', [del(['aa'])])).toBe(
      'b: |-\n  line one\n',
    );
    const kept = 'mounts:\n- location: a\n  # - location: b\n- location: c\n';
    expect(editYaml(kept, [del(['mounts', 0])])).toBe('mounts:\n  # - location: b\n- location: c\n');
  });

  it('does not write a `|` block where the following lines would join it', () => {
    const deeper = 'aa:\n    a: 0\n    # a comment indented like the new block\n';
    const out = editYaml(deeper, [set(['aa'], ['multi\nline'])]);
    expect(out).toBe('aa:\n  - "multi\\nline"\n    # a comment indented like the new block\n');
  });
});

describe('editYaml: a file without a final newline', () => {
  it('edits the last line and appends without adding a final newline', () => {
    expect(
      editYaml('cpus: 4\nmounts:\n- a', [
        append(['mounts'], 'b'),
        set(['cpus'], 5),
        set(['env', 'A'], 'x\ny\n'),
      ]),
    ).toBe('cpus: 5\nmounts:\n- a\n- b\nenv:\n  A: "x\\ny\\n"');
    expect(editYaml('a: 1\nb: 2', [del(['b'])])).toBe('a: 1');
    expect(editYaml('a: 1', [del(['a'])])).toBe('{}');
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
