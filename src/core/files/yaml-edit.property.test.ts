import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { editYaml, type YamlEdit, type YamlPath } from './yaml-edit.ts';

// Documents a person could write: a model of values with a style for every node, rendered below, then edited.

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };
type YamlNode = ScalarNode | MapNode | SeqNode;
interface ScalarNode {
  t: 'scalar';
  v: string | number | boolean | null;
  /** Picks one of the styles that can hold the value (plain, quotes, `|` block, `key:` for null). */
  style: number;
}
interface Entry {
  key: string;
  keyStyle: number;
  value: YamlNode;
  /** A comment line before the entry, and one at the end of its line. */
  lead: boolean;
  eol: boolean;
}
interface Item {
  value: YamlNode;
  lead: boolean;
  eol: boolean;
}
interface Collection {
  /** Flow (`{a: 1}`, `[x]`) or block; and the spacing of a flow collection. */
  flow: boolean;
  flowStyle: number;
  /** A comment line after the last entry. */
  trail: boolean;
  /** A flow collection under a key written one item a line, with comments at the ends of the lines. */
  flowLines: boolean;
}
interface MapNode extends Collection {
  t: 'map';
  entries: Entry[];
}
interface SeqNode extends Collection {
  t: 'seq';
  items: Item[];
}
interface Layout {
  indent: 2 | 4;
  seqIndent: 0 | 2;
  bom: boolean;
  crlf: boolean;
  finalNewline: boolean;
  /** 0: nothing, 1: `---`, 2: `%YAML 1.2` and `---`, 3: `---` and `...` */
  markers: number;
  /** A top-level mapping with no entries is written as nothing but a comment. */
  emptyAsComment: boolean;
  /** A tab, not a space, after the `:` of a block mapping entry with a scalar value. */
  tabAfterColon: boolean;
}
interface EditSpec {
  kind: 'set' | 'set-new' | 'append' | 'append-new' | 'delete';
  pick: number;
  key: string;
  value: Plain;
}

const AWKWARD = [
  '',
  ' ',
  ' lead',
  'trail ',
  '"dq"',
  "'sq'",
  "it's",
  'a: b',
  'a:b',
  '#hash',
  'x #y',
  'x# y',
  '6',
  '1.5',
  '0x1F',
  '0777',
  'true',
  'yes',
  'on',
  'null',
  '~',
  '- x',
  '-',
  '[a]',
  '{b}',
  'a,b',
  '*x',
  '&x',
  '!t',
  '%p',
  '@at',
  '`bt',
  '|',
  '>',
  '?',
  'tab\there',
  'multi\nline',
  'multi\nline\n',
  'keep\n\n',
  'a\n  b\n',
  '#!/bin/sh\nset -eux\n\necho "$HOME" # not a comment\n',
  'line one\n\tindented with a tab',
  '\nlead',
  'emoji 😀',
  '中文テキスト',
  'é ü',
  'back\\slash',
  'sep\u2028x',
  'nel\u0085x',
  '---',
  '...',
  '<<',
];
const COMMENTS = ['note', 'tab\there', 'emoji 😀 中文', 'a: b # c', `it's "q" [x] {y}`, 'cpus: 4'];

const stringArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'grapheme' }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,7}$/) },
);
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,6}$/) },
  { weight: 1, arbitrary: stringArb },
);
const scalarArb: fc.Arbitrary<string | number | boolean | null> = fc.oneof(
  { weight: 4, arbitrary: stringArb },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 100000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, -2.25, 1e21) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const plainArb: fc.Arbitrary<Plain> = fc
  .letrec<{ value: Plain }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 2 },
      scalarArb,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(keyArb.filter(usableKey), tie('value'), { maxKeys: 3 }),
    ),
  }))
  .value.map((v) => JSON.parse(JSON.stringify(v)) as Plain); // plain prototypes, as a caller has them

const nodes = fc.letrec<{ node: YamlNode; map: MapNode; seq: SeqNode }>((tie) => {
  // Mostly block collections, as in Lima's templates; a flow one makes everything inside it flow.
  const flow = fc.oneof(
    { weight: 1, arbitrary: fc.constant(true) },
    { weight: 3, arbitrary: fc.constant(false) },
  );
  const collection = { flow, flowStyle: fc.nat(5), trail: fc.boolean(), flowLines: fc.boolean() };
  const flags = { lead: fc.boolean(), eol: fc.boolean() };
  return {
    node: fc.oneof(
      { maxDepth: 3, depthSize: 'small' },
      fc.record({ t: fc.constant('scalar' as const), v: scalarArb, style: fc.nat(3) }),
      tie('map'),
      tie('seq'),
    ),
    map: fc.record({
      t: fc.constant('map' as const),
      ...collection,
      entries: fc.uniqueArray(
        fc.record({ key: keyArb.filter(usableKey), keyStyle: fc.nat(2), value: tie('node'), ...flags }),
        { maxLength: 5, selector: (e) => e.key },
      ),
    }),
    seq: fc.record({
      t: fc.constant('seq' as const),
      ...collection,
      items: fc.array(fc.record({ value: tie('node'), ...flags }), { maxLength: 4 }),
    }),
  };
});

const layoutArb: fc.Arbitrary<Layout> = fc.record({
  indent: fc.constantFrom(2 as const, 4 as const),
  seqIndent: fc.constantFrom(0 as const, 2 as const),
  bom: fc.boolean(),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  markers: fc.nat(3),
  emptyAsComment: fc.boolean(),
  tabAfterColon: fc.boolean(),
});
const editArb: fc.Arbitrary<EditSpec> = fc.record({
  kind: fc.constantFrom('set', 'set', 'set-new', 'append', 'append-new', 'delete', 'delete'),
  pick: fc.nat(),
  key: keyArb.filter(usableKey),
  value: plainArb,
});

/** `<<` is a merge key and `__proto__` a JavaScript accessor: neither is a plain key. */
function usableKey(key: string): boolean {
  return key !== '<<' && key !== '__proto__';
}

// --- Rendering -----------------------------------------------------------------------------------------------

interface Comment {
  text: string;
  /** The node the comment sits in (eol: on its line; lead: above it; trail: after its last entry). */
  owner: YamlPath;
  kind: 'lead' | 'eol' | 'trail';
}
interface Rendered {
  text: string;
  comments: Comment[];
}

function render(root: MapNode, layout: Layout): Rendered {
  const comments: Comment[] = [];
  const comment = (owner: YamlPath, kind: Comment['kind']) => {
    const text = `# c${comments.length} ${COMMENTS[comments.length % COMMENTS.length]}`;
    comments.push({ text, owner, kind });
    return text;
  };
  const { indent, seqIndent } = layout;

  /** Lines of a block collection, every one at column `col`. */
  function block(node: MapNode | SeqNode, col: number, path: YamlPath, compact: boolean): string[] {
    const pad = ' '.repeat(col);
    const lines: string[] = [];
    const entries: (Entry | Item)[] = node.t === 'map' ? node.entries : node.items;
    entries.forEach((entry, i) => {
      const seg = 'key' in entry ? entry.key : i;
      const at = [...path, seg];
      if (entry.lead && !(compact && i === 0)) lines.push(pad + comment(at, 'lead'));
      const lead = 'key' in entry ? `${pad}${keyText(entry.key, entry.keyStyle, false)}:` : `${pad}-`;
      const value = entry.value;
      const eol = (line: string) => (entry.eol ? `${line} ${comment(at, 'eol')}` : line);
      if (value.t !== 'scalar' && !value.flow && !isEmpty(value)) {
        if ('key' in entry) {
          lines.push(eol(lead));
          lines.push(...block(value, col + (value.t === 'map' ? indent : seqIndent), at, false));
        } else {
          const inner = block(value, col + 2, at, true);
          lines.push(`${lead} ${inner[0]!.slice(col + 2)}`, ...inner.slice(1));
        }
        return;
      }
      if (value.t !== 'scalar' && value.flowLines && !isEmpty(value) && 'key' in entry) {
        // key: [
        //   item,  # comment
        //   item,
        // ]
        const inner = ' '.repeat(col + indent);
        const items: (Entry | Item)[] = value.t === 'map' ? value.entries : value.items;
        lines.push(`${lead} ${value.t === 'map' ? '{' : '['}`);
        items.forEach((item, j) => {
          const text =
            'key' in item
              ? `${keyText(item.key, item.keyStyle, true)}: ${flow(item.value)}`
              : flow(item.value);
          const comma = j < items.length - 1 || value.flowStyle % 2 === 1 ? ',' : '';
          const note = item.eol ? ` ${comment([...at, 'key' in item ? item.key : j], 'eol')}` : '';
          lines.push(`${inner}${text}${comma}${note}`);
        });
        lines.push(eol(`${pad}${value.t === 'map' ? '}' : ']'}`));
        return;
      }
      if (value.t !== 'scalar') {
        lines.push(eol(`${lead} ${flow(value)}`));
        return;
      }
      const styles = scalarStyles(value.v, false);
      const style = styles[value.style % styles.length]!;
      if (style === 'literal') {
        const text = value.v as string;
        const body = text.replace(/\n+$/, '');
        const chomp = text.endsWith('\n\n') ? '+' : text.endsWith('\n') ? '' : '-';
        const contentPad = ' '.repeat('key' in entry ? col + indent : col + 2);
        lines.push(`${lead} |${chomp}`, ...body.split('\n').map((l) => (l ? contentPad + l : '')));
        for (let n = 1; n < text.length - body.length; n++) if (chomp === '+') lines.push('');
        return;
      }
      const gap = 'key' in entry && layout.tabAfterColon ? '\t' : ' ';
      lines.push(eol(style === 'empty' ? lead : `${lead}${gap}${scalarText(value.v, style)}`));
    });
    if (node.trail && entries.length > 0) lines.push(pad + comment(path, 'trail'));
    return lines;
  }

  function flow(node: YamlNode): string {
    if (node.t === 'scalar') {
      const styles = scalarStyles(node.v, true);
      return scalarText(node.v, styles[node.style % styles.length]!);
    }
    const pad = node.flowStyle % 2 === 0 ? '' : ' ';
    const sep = [', ', ',', ' , '][node.flowStyle % 3]!;
    const inner =
      node.t === 'map'
        ? node.entries.map((e) => `${keyText(e.key, e.keyStyle, true)}: ${flow(e.value)}`)
        : node.items.map((i) => flow(i.value));
    const [open, close] = node.t === 'map' ? ['{', '}'] : ['[', ']'];
    return inner.length ? `${open}${pad}${inner.join(sep)}${pad}${close}` : `${open}${close}`;
  }

  let lines: string[];
  if (isEmpty(root)) lines = layout.emptyAsComment ? [comment([], 'trail')] : ['{}'];
  else lines = root.flow ? [flow(root)] : block(root, 0, [], false);
  if (layout.markers === 1) lines = ['---', ...lines];
  if (layout.markers === 2) lines = ['%YAML 1.2', '---', ...lines];
  if (layout.markers === 3) lines = ['---', ...lines, '...'];
  const eol = layout.crlf ? '\r\n' : '\n';
  let text = lines.join(eol) + eol;
  // Without the final line break, unless the document ends in a `|+` block that needs it.
  const bare = text.slice(0, -eol.length);
  if (!layout.finalNewline && isDeepStrictEqual(readValue(bare), readValue(text))) text = bare;
  return { text: (layout.bom ? '\uFEFF' : '') + text, comments };
}

function isEmpty(node: MapNode | SeqNode): boolean {
  return node.t === 'map' ? node.entries.length === 0 : node.items.length === 0;
}

type ScalarStyle = 'plain' | 'tilde' | 'single' | 'double' | 'literal' | 'empty';

function scalarStyles(v: string | number | boolean | null, inFlow: boolean): ScalarStyle[] {
  if (v === null) return inFlow ? ['plain', 'tilde'] : ['plain', 'tilde', 'empty'];
  if (typeof v !== 'string') return ['plain'];
  const styles: ScalarStyle[] = ['double'];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what single quotes cannot hold
  if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(v.replaceAll('\t', ''))) styles.push('single');
  if (plainOk(v, inFlow, false)) styles.push('plain');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what a `|` block cannot hold
  const unprintable = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
  if (!inFlow && v.includes('\n') && !/^[ \t\n]/.test(v) && !unprintable.test(v)) styles.push('literal');
  return styles;
}

function scalarText(v: string | number | boolean | null, style: ScalarStyle): string {
  if (v === null) return style === 'tilde' ? '~' : 'null';
  if (typeof v !== 'string') return String(v);
  if (style === 'plain') return v;
  if (style === 'single') return `'${v.replaceAll("'", "''")}'`;
  return JSON.stringify(v).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function keyText(key: string, style: number, inFlow: boolean): string {
  if (plainOk(key, inFlow, true) && style !== 2) return key;
  return scalarText(key, style === 0 && !/[\n\r\t]/.test(key) ? 'single' : 'double');
}

/** Whether YAML 1.2 reads the string back written plain, as a value and as a key. */
function plainOk(text: string, inFlow: boolean, key: boolean): boolean {
  if (text === '' || /[\n\r]/.test(text) || text.trim() !== text) return false;
  const samples: [string, unknown][] = [[`- ${text}\n`, [text]]];
  if (inFlow) samples.push([`[${text}]\n`, [text]]);
  if (key) samples.push([`${text}: 0\n`, { [text]: 0 }]);
  if (key && inFlow) samples.push([`{${text}: 0}\n`, { [text]: 0 }]);
  return samples.every(([sample, want]) => {
    try {
      const doc = parseDocument(sample, { merge: true });
      return doc.errors.length === 0 && isDeepStrictEqual(doc.toJS(), want);
    } catch {
      return false;
    }
  });
}

// --- The model's value, paths and the edit ---------------------------------------------------------------

function modelValue(node: YamlNode): Plain {
  if (node.t === 'scalar') return node.v;
  if (node.t === 'seq') return node.items.map((i) => modelValue(i.value));
  const out: Record<string, Plain> = {};
  for (const e of node.entries) out[e.key] = modelValue(e.value);
  return out;
}

function readValue(text: string): unknown {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => e.message) };
  return doc.toJS() ?? {};
}

interface Found {
  path: YamlPath;
  value: Plain;
}

function allPaths(value: Plain, path: YamlPath = []): Found[] {
  const here = { path, value };
  if (Array.isArray(value)) return [here, ...value.flatMap((v, i) => allPaths(v, [...path, i]))];
  if (value !== null && typeof value === 'object') {
    return [here, ...Object.entries(value).flatMap(([k, v]) => allPaths(v, [...path, k]))];
  }
  return [here];
}

function pickEdit(value: Plain, spec: EditSpec): YamlEdit {
  const found = allPaths(value);
  const entries = found.filter((f) => f.path.length > 0);
  const maps = found.filter((f) => isRecordValue(f.value) || (f.value === null && f.path.length > 0));
  const seqs = found.filter((f) => Array.isArray(f.value));
  const choose = (list: Found[]) => list[spec.pick % list.length];
  const fresh = (f: Found) => [
    ...f.path,
    isRecordValue(f.value) && spec.key in f.value ? `${spec.key}_new` : spec.key,
  ];
  const entry = choose(entries);
  const map = choose(maps) ?? { path: [], value: {} };
  switch (spec.kind) {
    case 'set':
      return entry
        ? { op: 'set', path: entry.path, value: spec.value }
        : { op: 'set', path: fresh(map), value: spec.value };
    case 'delete':
      return entry ? { op: 'delete', path: entry.path } : { op: 'set', path: fresh(map), value: spec.value };
    case 'append': {
      const seq = choose(seqs);
      return { op: 'append', path: seq ? seq.path : fresh(map), value: spec.value };
    }
    case 'append-new':
      return { op: 'append', path: fresh(map), value: spec.value };
    default:
      return { op: 'set', path: fresh(map), value: spec.value };
  }
}

function isRecordValue(v: unknown): v is Record<string, Plain> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value with the edit applied, written independently of the editor. */
function applied(value: Plain, edit: YamlEdit): Plain {
  const copy = structuredClone(value);
  const root = { v: copy } as Record<string | number, unknown>;
  let obj: Record<string | number, unknown> = root;
  const path = ['v', ...edit.path];
  for (const seg of path.slice(0, -1)) {
    if (obj[seg] == null) {
      if (edit.op === 'delete') return copy;
      obj[seg] = {};
    }
    obj = obj[seg] as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  if (edit.op === 'set') obj[last] = edit.value;
  else if (edit.op === 'delete' && Array.isArray(obj)) obj.splice(last as number, 1);
  else if (edit.op === 'delete') delete obj[last];
  else if (obj[last] == null) obj[last] = [edit.value];
  else if (!(obj[last] as unknown[]).some((i) => isDeepStrictEqual(i, edit.value))) {
    (obj[last] as unknown[]).push(edit.value);
  }
  return root.v as Plain;
}

// --- What must not change --------------------------------------------------------------------------------

/** Source text of every scalar (keys marked with a trailing `:`), by path. */
function scalarTexts(text: string): Map<string, string> {
  const doc: Document.Parsed = parseDocument(text, { merge: true });
  const out = new Map<string, string>();
  const walk = (node: unknown, path: YamlPath) => {
    if (isScalar(node) && node.range && node.range[0] < node.range[1]) {
      // A `|` block's range takes the line break after it, which the next line (or nothing) owns.
      out.set(JSON.stringify(path), text.slice(node.range[0], node.range[1]).replace(/\r?\n$/, ''));
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || !pair.key.range) continue;
        const at = [...path, String(pair.key.value)];
        out.set(`${JSON.stringify(at)}:`, text.slice(pair.key.range[0], pair.key.range[1]));
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    }
  };
  walk(doc.contents, []);
  return out;
}

const startsWith = (path: YamlPath, prefix: YamlPath) =>
  prefix.length <= path.length && prefix.every((seg, i) => String(path[i]) === String(seg));

/** Where a node of the old text is in the new one, or undefined when the edit replaced or removed it. */
function afterPath(path: YamlPath, isKey: boolean, edit: YamlEdit): YamlPath | undefined {
  const target = edit.path;
  if (startsWith(path, target)) {
    const keyStays = isKey && path.length === target.length && edit.op !== 'delete';
    if (!keyStays) return undefined;
  }
  // A null on the way to the edited path is replaced by the new mapping.
  if (!isKey && path.length < target.length && startsWith(target, path)) return undefined;
  if (edit.op === 'delete' && typeof target.at(-1) === 'number') {
    const parent = target.slice(0, -1);
    const index = path[parent.length];
    if (startsWith(path, parent) && typeof index === 'number' && index > (target.at(-1) as number)) {
      return [...parent, index - 1, ...path.slice(parent.length + 1)];
    }
  }
  return path;
}

/**
 * Comments that may go with the edit. A set replaces the value at its path: comments inside that value
 * may go. A delete removes the entry: comments in it, on its lines and after its last item may go, not
 * the ones above it. Deleting the only entry of a collection writes `[]` or `{}` for the collection, which
 * is a set of the parent. An append keeps every comment.
 */
function mayVanish(comment: Comment, edit: YamlEdit, before: Plain): boolean {
  const target = edit.path;
  if (edit.op === 'append') return false;
  const parent = target.slice(0, -1);
  const parentValue = allPaths(before).find((f) => isDeepStrictEqual(f.path, parent))?.value;
  const only =
    parentValue !== null && typeof parentValue === 'object' && Object.keys(parentValue).length === 1;
  const under = (at: YamlPath) => comment.owner.length > at.length && startsWith(comment.owner, at);
  if (edit.op === 'set') return under(target);
  if (only && parent.length > 0) return under(parent);
  return comment.kind === 'lead' ? under(target) : startsWith(comment.owner, target);
}

// --- The property ----------------------------------------------------------------------------------------

const RUNS = 400;

describe('editYaml on generated documents', () => {
  it(`keeps every untouched node and comment, and reads back as the edited value (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(nodes.map, layoutArb, editArb, (root, layout, spec) => {
        const model = modelValue(root);
        const { text, comments } = render(root, layout);
        expect(readValue(text), `the generator wrote ${JSON.stringify(text)}`).toEqual(model);
        const edit = pickEdit(model, spec);
        const context = `document ${JSON.stringify(text)}\nedit ${JSON.stringify(edit)}`;

        let out: string;
        try {
          out = editYaml(text, [edit]);
        } catch (error) {
          throw new Error(`${context}\nthrew ${(error as Error).message}`);
        }
        const show = `${context}\nresult ${JSON.stringify(out)}`;
        // (a) it parses to the old value with the edit applied
        expect(readValue(out), show).toEqual(applied(model, edit));
        // (b) every scalar off the edit path keeps its text
        const after = scalarTexts(out);
        for (const [where, source] of scalarTexts(text)) {
          const isKey = where.endsWith(':');
          const path = JSON.parse(isKey ? where.slice(0, -1) : where) as YamlPath;
          const moved = afterPath(path, isKey, edit);
          if (moved)
            expect(after.get(JSON.stringify(moved) + (isKey ? ':' : '')), `${show}\nat ${where}`).toBe(
              source,
            );
        }
        // (c) comments stay, but those inside a replaced or deleted value
        for (const comment of comments) {
          if (!mayVanish(comment, edit, model))
            expect(out, `${show}\nlost ${comment.text}`).toContain(comment.text);
        }
        // the byte-order mark and the line endings are the file's
        expect(out.startsWith('\uFEFF'), show).toBe(layout.bom);
        // (a file with no line break yet gets \n)
        const crlf = layout.crlf && text.includes('\n');
        expect(/(^|[^\r])\n/.test(out), `${show}\nbare LF`).toBe(!crlf && out.includes('\n'));
        if (crlf) expect(out.replaceAll('\r\n', ''), show).not.toContain('\r');
        // (d) set and append are idempotent
        if (edit.op !== 'delete') expect(editYaml(out, [edit]), show).toBe(out);
      }),
      { seed: 20260501, numRuns: RUNS },
    );
  });
});
