// The fake limactl's dependency-free YAML reader, checked against the `yaml` package: fixed documents,
// everything `yaml` can emit for random values in several styles, and the errors it must not swallow.
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { parseYaml } from './lib/yaml.mjs';

const DOCUMENTS = [
  `# Lima config
vmType: vz
cpus: 4
memory: "8GiB"
disk: 100GiB
mounts:
- location: "~"
  writable: false
- location: /tmp/lima
  writable: true
portForwards:
- guestSocket: "{{.Home}}/.1password/agent.sock"
  hostSocket: "{{.Home}}/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock"
  reverse: true
provision:
- mode: system
  script: |
    #!/bin/bash
    set -eux -o pipefail
    echo hi
containerd: {system: false, user: false}
images: [{location: "https://example.com/a.img", arch: aarch64}]
`,
  `a: 1
b: two
c: "three # not a comment"  # a comment
d: 'it''s'
e:
  - x
  - y: 1
    z: [1, 2, {q: r}]
  - - nested
    - seq
f: |
  line1
   indented
  line3

g: >-
  folded
  text

  para
h: ~
i: true
j: 0x1F
k: 1.5e3
l: {}
m: []
n: "esc \\t \\u00e9 \\n end"
o: plain with:colon
`,
  `key: a long plain scalar that the yaml package folds over
  several lines
next: "a double-quoted one
  that continues"
other: 'single

  with a blank line'
s: |+
  keep

t: |-
  strip
u: >
  fold
  me
   more
  back
v: |2
    two extra
`,
  '--- # a document marker\nlist:\n  - a\n  - b\nempty:\nnull_value: null\n...\n',
];

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const STRINGS = [
  '',
  ' ',
  'a',
  'hello world',
  'true',
  '1',
  '1.5',
  'null',
  '~',
  'a: b',
  '# not',
  'x #y',
  "it's",
  'say "hi"',
  'multi\nline',
  'multi\nline\n',
  'trail\n\n',
  '  lead',
  'tab\there',
  'é ü ✓',
  '- dash',
  '{brace}',
  '[br]',
  '@at',
  '`bt',
  '%p',
  'a,b',
  'colon:',
  'http://x:80/p',
  '{{.Home}}/x.sock',
  'long '.repeat(30),
  'line1\n  indented\nline3',
  '\\back',
  'end ',
  '0x1F',
  '0o17',
  '.inf',
  '-',
  '?',
  '*star',
  '&amp',
  '!bang',
];

function value(rnd: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const r = rnd();
  if (depth > 3 || r < 0.4) {
    return pick([
      () => pick(STRINGS),
      () => Math.floor(rnd() * 1000) - 500,
      () => rnd() < 0.5,
      () => null,
      () => 1.25,
    ])();
  }
  const size = Math.floor(rnd() * 4);
  if (r < 0.7)
    return Object.fromEntries(
      Array.from({ length: size }, (_, i) => [pick(STRINGS) || `k${i}`, value(rnd, depth + 1)]),
    );
  return Array.from({ length: size }, () => value(rnd, depth + 1));
}

describe('parseYaml', () => {
  test.each(DOCUMENTS)('reads like the yaml package: %#', (text) => {
    expect(parseYaml(text)).toEqual(YAML.parse(text));
  });

  test('reads back whatever the yaml package writes, in every style', () => {
    const rnd = random(20260821);
    const styles: YAML.ToStringOptions[] = [
      {},
      { lineWidth: 20, minContentWidth: 0 },
      { indentSeq: false },
      { defaultStringType: 'QUOTE_DOUBLE' },
      { defaultStringType: 'QUOTE_SINGLE' },
      { blockQuote: 'folded' },
      { collectionStyle: 'flow' },
      { defaultStringType: 'BLOCK_LITERAL' },
    ];
    for (let i = 0; i < 800; i++) {
      const text = YAML.stringify({ root: value(rnd, 0) }, styles[i % styles.length]);
      expect(parseYaml(text), text).toEqual(YAML.parse(text));
    }
  });

  test.each([
    ['a: 1\na: 2\n', 'already defined'],
    ['a: &x 1\nb: *x\n', 'anchors'],
    ['a: b: c\n', 'mapping values are not allowed'],
    ['a: "unterminated\n', 'unterminated'],
    ['- a\nb: 1\n', 'document end'],
    ['a: 1\n---\nb: 2\n', 'multiple YAML documents'],
    ['a: [1, 2\n', 'flow collection'],
    ['a:\n\t- b\n', 'tab'],
  ])('refuses %j', (text, message) => {
    expect(() => parseYaml(text)).toThrow(message);
  });
});
