import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type Pair,
  parseDocument,
  type Range,
  type Scalar,
  stringify,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/** Mapping keys and sequence indexes leading from the document root to a node. */
export type YamlPath = readonly (string | number)[];

/** One edit: set a mapping value, append a sequence item (unless an equal one is there), delete a key / item. */
export type YamlEdit =
  | { op: 'set'; path: YamlPath; value: unknown }
  | { op: 'append'; path: YamlPath; value: unknown }
  | { op: 'delete'; path: YamlPath };

/** Thrown when the source does not parse or a path cannot be edited; the message names the path. */
export class YamlEditError extends Error {
  override name = 'YamlEditError';
}

/** Apply edits in order, rewriting only the text that differs; returns the new source. */
export function editYaml(source: string, edits: readonly YamlEdit[]): string {
  let text = source;
  for (const edit of edits) text = applyEdit(text, edit);
  return text;
}

type Coll = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
interface Ctx {
  src: string;
  doc: Document.Parsed;
  eol: string;
  /** Columns a nested mapping is indented by, and a `-` under a key (0 for Lima's `key:\n- item`). */
  indent: number;
  seqIndent: number;
}
type Loc =
  | { kind: 'found'; node: unknown; parent: Coll | null; pair: Pair | undefined }
  | { kind: 'missing'; map: YAMLMap | null; rest: YamlPath }
  | { kind: 'null'; pair: Pair; rest: YamlPath }
  | { kind: 'flow'; node: Coll; rest: YamlPath };

function applyEdit(src: string, edit: YamlEdit): string {
  const doc = parseDocument(src, { keepSourceTokens: true });
  const where = fmt(edit.path);
  if (doc.errors.length > 0) {
    throw new YamlEditError(`cannot edit ${where}: the YAML does not parse: ${doc.errors[0]?.message}`);
  }
  if (edit.path.length === 0) throw new YamlEditError(`cannot ${edit.op} the document root`);
  const c: Ctx = { src, doc, eol: src.includes('\r\n') ? '\r\n' : '\n', ...detectIndents(doc, src) };
  const loc = locate(c, edit.path);
  if (loc.kind === 'flow') return editFlow(c, loc.node, loc.rest, edit);
  if (edit.op === 'delete') return loc.kind === 'found' ? deleteFound(c, loc, edit.path) : src;
  const value = edit.op === 'set' ? edit.value : [edit.value];
  if (loc.kind === 'missing') return insertPair(c, loc.map, loc.rest[0]!, nest(loc.rest.slice(1), value));
  if (loc.kind === 'null') return replaceValue(c, loc.pair, nest(loc.rest, value));
  return edit.op === 'set' ? setFound(c, loc, edit.value) : appendFound(c, loc, edit.value, where);
}

function locate(c: Ctx, path: YamlPath): Loc {
  let node: unknown = c.doc.contents;
  let parent: Coll | null = null;
  let pair: Pair | undefined;
  for (const [i, seg] of path.entries()) {
    const rest = path.slice(i);
    if (node === null && i === 0) return { kind: 'missing', map: null, rest };
    if (isCollection(node) && node.flow) return { kind: 'flow', node, rest };
    if (isMap(node)) {
      pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { kind: 'missing', map: node, rest };
      if (isNullish(pair.value) && i < path.length - 1)
        return { kind: 'null', pair, rest: path.slice(i + 1) };
      parent = node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg >= 0 && seg < node.items.length) {
      parent = node;
      pair = undefined;
      node = node.items[seg];
    } else {
      const what = typeof seg === 'number' ? `a sequence with item ${seg}` : 'a mapping';
      throw new YamlEditError(`cannot edit ${fmt(path)}: ${fmt(path.slice(0, i))} is not ${what}`);
    }
  }
  return { kind: 'found', node, parent, pair };
}

function setFound(c: Ctx, loc: Loc & { kind: 'found' }, value: unknown): string {
  const old = isNode(loc.node) ? loc.node.toJS(c.doc) : null;
  if (isDeepStrictEqual(old, value)) return c.src;
  return loc.pair ? replaceValue(c, loc.pair, value) : replaceItem(c, loc.node, value);
}

function appendFound(c: Ctx, loc: Loc & { kind: 'found' }, value: unknown, where: string): string {
  const { node, pair } = loc;
  if (isNullish(node) && pair) return replaceValue(c, pair, [value]);
  if (!isSeq(node)) throw new YamlEditError(`cannot append to ${where}: it is not a sequence`);
  if (node.items.some((item) => isDeepStrictEqual(isNode(item) ? item.toJS(c.doc) : item, value)))
    return c.src;
  if (!node.flow) return appendItem(c, node, value);
  if (node.items.length === 0 && pair) return replaceValue(c, pair, [value]);
  return reflow(c, node, [...(node.toJS(c.doc) as unknown[]), value]);
}

function deleteFound(c: Ctx, loc: Loc & { kind: 'found' }, path: YamlPath): string {
  const { parent, pair } = loc;
  if (!parent) throw new YamlEditError(`cannot delete ${fmt(path)}`);
  // Removing the last entry would leave `key:` (null), so write an empty collection instead.
  if (parent.items.length === 1 && parent !== c.doc.contents) {
    return applyEdit(c.src, { op: 'set', path: path.slice(0, -1), value: isMap(parent) ? {} : [] });
  }
  const item: unknown = pair ?? loc.node;
  const next: unknown = parent.items[(parent.items as unknown[]).indexOf(item) + 1];
  const start = itemStart(c, item);
  const end = afterLine(c.src, lineEnd(c.src, contentEnd(c, item)));
  const lineStart = c.src.lastIndexOf('\n', start - 1) + 1;
  if (c.src.slice(lineStart, start).trim() === '') return splice(c, lineStart, end, '');
  // The first key of a mapping on a `- ` line: pull the next key up onto that line.
  if (next === undefined) throw new YamlEditError(`cannot delete ${fmt(path)}: unsupported layout`);
  return splice(c, start, itemStart(c, next), '');
}

/** Edits inside a flow collection (`{a: 1}`, `[x]`) re-render that whole collection in flow style. */
function editFlow(c: Ctx, node: Coll, rest: YamlPath, edit: YamlEdit): string {
  const old: unknown = node.toJS(c.doc);
  const root = { v: structuredClone(old) };
  const fail = () => new YamlEditError(`cannot edit ${fmt(edit.path)}: it goes through a non-collection`);
  let obj: Record<string | number, unknown> = root;
  for (const seg of ['v', ...rest.slice(0, -1)]) {
    if (Array.isArray(obj) ? !isIndex(obj, seg) : obj[seg] == null) {
      if (edit.op === 'delete') return c.src;
      if (Array.isArray(obj)) throw fail();
      obj[seg] = {};
    }
    const next = obj[seg];
    if (typeof next !== 'object' || next === null) throw fail();
    obj = next as Record<string | number, unknown>;
  }
  const key = rest.at(-1)!;
  const list = obj[key];
  if (Array.isArray(obj) && !isIndex(obj, key)) {
    if (edit.op === 'delete') return c.src;
    throw fail();
  }
  if (edit.op === 'set') obj[key] = edit.value;
  else if (edit.op === 'delete' && Array.isArray(obj)) obj.splice(Number(key), 1);
  else if (edit.op === 'delete') Reflect.deleteProperty(obj, key);
  else if (list == null) obj[key] = [edit.value];
  else if (!Array.isArray(list))
    throw new YamlEditError(`cannot append to ${fmt(edit.path)}: it is not a sequence`);
  else if (!list.some((item) => isDeepStrictEqual(item, edit.value))) list.push(edit.value);
  return isDeepStrictEqual(root.v, old) ? c.src : reflow(c, node, root.v);
}

function isIndex(list: unknown[], seg: string | number): boolean {
  return typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < list.length;
}

function reflow(c: Ctx, node: Coll, value: unknown): string {
  const [start, end] = rangeOf(node);
  const flowCollectionPadding = /^[[{]\s/.test(c.src.slice(start, end));
  return splice(
    c,
    start,
    end,
    stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding }).trimEnd(),
  );
}

function replaceValue(c: Ctx, pair: Pair, value: unknown): string {
  const old = pair.value;
  const colon = colonOf(c, pair);
  const oldIsBlock = isCollection(old) && !old.flow;
  if (!isBlockValue(value)) {
    const text = scalarText(value, isScalar(old) ? old.type : undefined);
    if (!oldIsBlock) return replaceInline(c, old, colon, text);
    const keyLineRest = c.src.slice(colon + 1, lineEnd(c.src, colon)).trimEnd();
    return splice(c, colon + 1, lineEnd(c.src, contentEnd(c, old)), ` ${text}${keyLineRest}`);
  }
  const keyCol = column(c.src, rangeOf(pair.key)[0]);
  const block = c.eol + renderBlock(c, value, keyCol + (Array.isArray(value) ? c.seqIndent : c.indent));
  if (oldIsBlock) return splice(c, lineEnd(c.src, colon), lineEnd(c.src, contentEnd(c, old)), block);
  // Keep a trailing comment (`mounts: []  # none`) on the key line, above the new block.
  const oldEnd = isEmpty(old) ? colon + 1 : contentEnd(c, old);
  const eolPos = lineEnd(c.src, oldEnd);
  return splice(c, colon + 1, eolPos, c.src.slice(oldEnd, eolPos) + block);
}

function replaceItem(c: Ctx, item: unknown, value: unknown): string {
  const start = rangeOf(item)[0];
  if (!isBlockValue(value)) {
    return replaceInline(
      c,
      item,
      itemStart(c, item),
      scalarText(value, isScalar(item) ? item.type : undefined),
    );
  }
  const col = column(c.src, start);
  return splice(c, start, Math.max(start, contentEnd(c, item)), renderBlock(c, value, col).slice(col));
}

/** Replace a scalar or flow node's text; an empty value (`key:`, `-`) gets the text after its indicator. */
function replaceInline(c: Ctx, old: unknown, indicator: number, text: string): string {
  if (isEmpty(old)) return splice(c, indicator + 1, indicator + 1, ` ${text}`);
  const [start, end] = rangeOf(old);
  return splice(c, start, Math.max(start, trimEnd(c.src, end)), text);
}

function insertPair(c: Ctx, map: YAMLMap | null, key: string | number, value: unknown): string {
  const firstKey = map?.items[0]?.key;
  const text = renderBlock(c, { [key]: value }, isNode(firstKey) ? column(c.src, rangeOf(firstKey)[0]) : 0);
  const last = map?.items.at(-1);
  if (!map || !last || map === c.doc.contents) {
    return c.src === '' || c.src.endsWith('\n') ? c.src + text + c.eol : c.src + c.eol + text;
  }
  const pos = lineEnd(c.src, contentEnd(c, last));
  return splice(c, pos, pos, c.eol + text);
}

function appendItem(c: Ctx, seq: YAMLSeq, value: unknown): string {
  const pos = lineEnd(c.src, contentEnd(c, seq));
  return splice(c, pos, pos, c.eol + renderBlock(c, [value], column(c.src, rangeOf(seq)[0])));
}

/** Render a value as block YAML with every line indented to `col`, joined with the file's line ending. */
function renderBlock(c: Ctx, value: unknown, col: number): string {
  const opts = { lineWidth: 0, indent: c.indent, indentSeq: c.seqIndent > 0, singleQuote: false };
  const lines = stringify(value, opts).replace(/\n$/, '').split('\n');
  return lines.map((line) => (line ? ' '.repeat(col) + line : line)).join(c.eol);
}

/** Text for a scalar (or empty collection); a string keeps the old quote style when it can. */
function scalarText(value: unknown, style: Scalar['type']): string {
  if (typeof value !== 'string') return stringify(value ?? null, { lineWidth: 0 }).trimEnd();
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: single quotes cannot escape control characters
  if (style === 'QUOTE_SINGLE' && !/[\u0000-\u001f]/.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return stringify(value, { lineWidth: 0 }).trimEnd() === value ? value : JSON.stringify(value);
}

function detectIndents(doc: Document.Parsed, src: string): { indent: number; seqIndent: number } {
  let indent: number | undefined;
  let seqIndent: number | undefined;
  visit(doc, {
    Pair(_, { key, value }) {
      if (!isNode(key) || !key.range || !isCollection(value) || value.flow || !value.range) return;
      const step = column(src, value.range[0]) - column(src, key.range[0]);
      if (isSeq(value) && step >= 0) seqIndent ??= step;
      if (isMap(value) && step > 0) indent ??= step;
    },
  });
  return { indent: indent ?? 2, seqIndent: seqIndent ?? 2 };
}

/** End of a node's last meaningful character: the last item of a block collection, not its comments. */
function contentEnd(c: Ctx, node: unknown): number {
  if (isPair(node)) return isEmpty(node.value) ? rangeOf(node.key)[1] : contentEnd(c, node.value);
  if (isCollection(node) && !node.flow && node.items.length > 0) return contentEnd(c, node.items.at(-1));
  return trimEnd(c.src, rangeOf(node)[1]);
}

/** Where a pair's key or a sequence item's `-` starts. */
function itemStart(c: Ctx, item: unknown): number {
  if (isPair(item)) return rangeOf(item.key)[0];
  let i = rangeOf(item)[0] - 1;
  while (i > 0 && /\s/.test(c.src[i] ?? '')) i--;
  return c.src[i] === '-' ? i : rangeOf(item)[0];
}

function colonOf(c: Ctx, pair: Pair): number {
  const token = pair.srcToken?.sep?.find((t) => t.type === 'map-value-ind');
  if (token && 'offset' in token) return token.offset;
  let i = rangeOf(pair.key)[1];
  while (c.src[i] === ' ' || c.src[i] === '\t') i++;
  if (c.src[i] === ':') return i;
  throw new YamlEditError(`cannot edit the value of ${String(pair.key)}: no ':' found`);
}

function rangeOf(node: unknown): Range {
  if (isNode(node) && node.range) return node.range;
  throw new YamlEditError('internal: YAML node without a source range');
}

function isEmpty(node: unknown): boolean {
  return !isNode(node) || !node.range || node.range[0] === node.range[1];
}

function isNullish(node: unknown): boolean {
  return node == null || (isScalar(node) && node.value == null);
}

function isBlockValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function nest(path: YamlPath, value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function column(src: string, pos: number): number {
  return pos - (src.lastIndexOf('\n', pos - 1) + 1);
}

function lineEnd(src: string, pos: number): number {
  const nl = src.indexOf('\n', pos);
  if (nl < 0) return src.length;
  return src[nl - 1] === '\r' ? nl - 1 : nl;
}

function afterLine(src: string, pos: number): number {
  return src.startsWith('\r\n', pos) ? pos + 2 : src[pos] === '\n' ? pos + 1 : pos;
}

function trimEnd(src: string, pos: number): number {
  let end = pos;
  while (end > 0 && /\s/.test(src[end - 1] ?? '')) end--;
  return end;
}

function splice(c: Ctx, start: number, end: number, text: string): string {
  return c.src.slice(0, start) + text + c.src.slice(end);
}

function fmt(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i > 0 ? `.${s}` : s)).join('') || '(root)';
}
