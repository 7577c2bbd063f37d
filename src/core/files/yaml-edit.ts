import { isDeepStrictEqual } from 'node:util';
import {
  type CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  type Pair,
  Parser,
  parseDocument,
  type Range,
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

/**
 * Apply edits in order, rewriting only the text that differs; returns the new source. Every edit is checked by
 * parsing the result: it must read as the old value with exactly that edit applied, or YamlEditError is thrown.
 */
export function editYaml(source: string, edits: readonly YamlEdit[]): string {
  // A byte-order mark is not part of the YAML text; keeping it out keeps columns right.
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  let text = source.slice(bom.length);
  for (const edit of edits) text = applyEdit(text, edit);
  return bom + text;
}

type Coll = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;
interface Ctx {
  src: string;
  doc: Document.Parsed;
  edit: YamlEdit;
  eol: string;
  /** Columns a nested mapping is indented by, and a `-` under a key (0 for Lima's `key:\n- item`). */
  indent: number;
  seqIndent: number;
  /** Nodes that an alias (`*name`, including `<<: *name`) refers to, with those aliases. */
  shared: Map<unknown, unknown[]>;
}

/** Lima reads lima.yaml with goccy/go-yaml (pkg/limayaml), which applies `<<` merge keys; so do we. */
function parse(src: string): Document.Parsed {
  return parseDocument(src, { keepSourceTokens: true, merge: true });
}

function applyEdit(src: string, asked: YamlEdit): string {
  // Compare values by content: an object made with Object.create(null) equals one made with {}.
  const edit: YamlEdit = asked.op === 'delete' ? asked : { ...asked, value: plain(asked.value) };
  const where = fmt(edit.path);
  const doc = parse(src);
  if (doc.errors.length > 0) {
    throw new YamlEditError(`cannot edit ${where}: the YAML does not parse: ${doc.errors[0]?.message}`);
  }
  if (edit.path.length === 0) throw new YamlEditError(`cannot ${edit.op} the document root`);
  if (edit.path.includes('<<'))
    throw new YamlEditError(`cannot ${edit.op} ${where}: merge keys (<<) are not edited`);
  const root = doc.contents;
  if (!isMap(root) && !isNullish(root)) {
    const kind = isSeq(root) ? 'a sequence' : isAlias(root) ? 'an alias' : 'a scalar';
    throw new YamlEditError(`cannot ${edit.op} ${where}: the document's top level is ${kind}, not a mapping`);
  }
  const before = plain(doc.toJS());
  const want = editedValue(before ?? {}, edit, 0);
  if (isDeepStrictEqual(want, before ?? {}) || (before === null && edit.op === 'delete')) return src;

  const shared = new Map<unknown, unknown[]>();
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      shared.set(target, [...(shared.get(target) ?? []), alias]);
    },
  });
  const eol = src.match(/\r?\n/)?.[0] === '\r\n' ? '\r\n' : '\n';
  const c: Ctx = { src, doc, edit, eol, shared, ...detectIndents(doc, src) };
  const out = editSpans(c);

  const after = parse(out);
  const got = after.errors.length === 0 ? plain(after.toJS()) : undefined;
  if (!isDeepStrictEqual(got, want)) throw layoutError(c, after);
  return out;
}

/** Why the edited text does not read as wanted; a kept tag is the usual reason. */
function layoutError(c: Ctx, after: Document.Parsed): YamlEditError {
  const { op, path } = c.edit;
  const where = fmt(path);
  const parseError = after.errors[0]?.message;
  const node = lookup(after, path);
  const reads = JSON.stringify(isNode(node) ? node.toJS(after) : node);
  const old = lookup(c.doc, path);
  if (!parseError && op === 'set' && isNode(old) && old.tag) {
    const tag = old.tag.replace(/^tag:yaml\.org,2002:/, '!!');
    return new YamlEditError(
      `cannot set ${where} to ${JSON.stringify(c.edit.value)}: it is tagged ${tag}, and asc keeps tags, so it ` +
        `would read as ${reads}; remove the tag or edit it by hand`,
    );
  }
  const why = parseError ? `the result would not parse (${parseError})` : `${where} would read as ${reads}`;
  return new YamlEditError(`cannot ${op} ${where} in this file's layout: ${why}; edit it by hand`);
}

/** The wanted value: `value` with the edit applied below path[at]. Throws for a path that cannot exist. */
function editedValue(value: unknown, edit: YamlEdit, at: number): unknown {
  const { path } = edit;
  if (at === path.length) {
    if (edit.op === 'set') return edit.value;
    if (edit.op === 'delete') return DELETED;
    if (value == null) return [edit.value];
    if (!Array.isArray(value)) throw new YamlEditError(`cannot append to ${fmt(path)}: it is not a sequence`);
    return value.some((item) => isDeepStrictEqual(item, edit.value)) ? value : [...value, edit.value];
  }
  const seg = path[at]!;
  if (Array.isArray(value)) {
    if (!isIndex(value, seg)) {
      if (edit.op === 'delete') return value;
      throw new YamlEditError(
        `cannot edit ${fmt(path)}: ${fmt(path.slice(0, at))} has no item ${String(seg)}`,
      );
    }
    const inner = editedValue(value[seg], edit, at + 1);
    const copy = [...value];
    if (inner === DELETED) copy.splice(seg, 1);
    else copy[seg] = inner;
    return copy;
  }
  if (value == null && edit.op === 'delete') return value;
  if (value != null && !isRecord(value)) {
    throw new YamlEditError(`cannot edit ${fmt(path)}: ${fmt(path.slice(0, at))} is not a mapping`);
  }
  const copy: Record<string, unknown> = { ...value };
  const key = String(seg);
  const has = Object.hasOwn(copy, key);
  if (!has && edit.op === 'delete') return copy;
  const inner = editedValue(has ? copy[key] : undefined, edit, at + 1);
  if (inner === DELETED) delete copy[key];
  else
    Object.defineProperty(copy, key, { value: inner, enumerable: true, writable: true, configurable: true });
  return copy;
}
const DELETED = Symbol('deleted');

/** Walk the parsed document along the path and make the edit as a splice of the source text. */
function editSpans(c: Ctx): string {
  const { path, op } = c.edit;
  const value = op === 'append' ? [c.edit.value] : op === 'set' ? c.edit.value : undefined;
  let node: unknown = c.doc.contents;
  let parent: Coll | undefined;
  let entry: unknown;
  for (const [i, seg] of path.entries()) {
    const here = path.slice(0, i);
    if (isAlias(node)) throw sharedError(c, here, `is an alias of &${node.source}`);
    // A null on the way (or an empty document): write the rest of the path as new mappings.
    if (isNullish(node)) {
      const rest = nest(path.slice(i), value);
      return parent ? replaceEntry(c, parent, entry, rest) : replaceEmptyRoot(c, node, rest);
    }
    if (!isCollection(node)) throw new YamlEditError(`internal: ${fmt(here)} is not a collection`);
    if (c.shared.has(node)) throw sharedError(c, here, `is anchored as &${node.anchor}`);
    // `key: {}` in a block mapping becomes a block mapping, the way the rest of the file is written.
    if (node.flow && node.items.length === 0 && parent && !parent.flow) {
      return replaceEntry(c, parent, entry, nest(path.slice(i), value));
    }
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isScalar(p.key) && !isMergeKey(p) && String(p.key.value) === String(seg),
      );
      // Setting a key the mapping only merges in overrides it here; anything else would need the merged node.
      const merge = mergedFrom(c, node, String(seg));
      if (merge && pair && op === 'delete' && last) {
        throw new YamlEditError(
          `cannot delete ${fmt(path)}: ${fmt(here)} also gets ${String(seg)} from its merge key (<<: ${merge}), ` +
            'which would still give it a value; edit it by hand',
        );
      }
      if (merge && !pair && !(op === 'set' && last)) {
        throw new YamlEditError(
          `cannot ${op} ${fmt(path)}: ${fmt([...here, seg])} comes from the merge key (<<: ${merge}) of ` +
            `${fmt(here)}, and changing it would change what is merged in; edit it by hand`,
        );
      }
      if (!pair) return insertEntry(c, node, seg, nest(path.slice(i + 1), value));
      [parent, entry, node] = [node, pair, pair.value];
    } else {
      [parent, entry, node] = [node, node.items[seg as number], node.items[seg as number]];
    }
  }
  if (!parent) throw new YamlEditError('internal: no parent');
  if (op === 'append' && isSeq(node) && !(node.flow && node.items.length === 0 && !parent.flow)) {
    if (c.shared.has(node)) throw sharedError(c, path, `is anchored as &${node.anchor}`);
    return appendItem(c, node, c.edit.value);
  }
  if (op === 'append' && isAlias(node)) throw sharedError(c, path, `is an alias of &${node.source}`);
  // Replacing or deleting a node takes its anchors along: refuse when an alias elsewhere uses one.
  const inside = new Set<unknown>();
  if (isNode(node)) visit(node, { Node: (_, n) => void inside.add(n) });
  for (const n of inside) {
    if ((c.shared.get(n) ?? []).some((alias) => !inside.has(alias))) {
      throw sharedError(c, path, `holds &${(n as { anchor?: string }).anchor}, which an alias refers to`);
    }
  }
  return op === 'delete' ? removeEntry(c, parent, entry) : replaceEntry(c, parent, entry, value);
}

function sharedError(c: Ctx, at: YamlPath, what: string): YamlEditError {
  return new YamlEditError(
    `cannot ${c.edit.op} ${fmt(c.edit.path)}: ${fmt(at)} ${what}; changing it would change every place ` +
      'that shares it, so edit it by hand',
  );
}

function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

/** The source of the merge key (`*base`, `[*a, *b]`) through which a mapping gets a key, if any. */
function mergedFrom(c: Ctx, map: YAMLMap, key: string): string | undefined {
  for (const pair of map.items.filter(isMergeKey)) {
    for (const from of isSeq(pair.value) ? pair.value.items : [pair.value]) {
      const source = isAlias(from) ? from.resolve(c.doc) : from;
      const js: unknown = isNode(source) ? source.toJS(c.doc) : undefined;
      if (isRecord(js) && Object.hasOwn(js, key)) {
        const [start, end] = rangeOf(pair.value);
        return c.src.slice(start, end);
      }
    }
  }
  return undefined;
}

// --- Replacing a value -------------------------------------------------------------------------------------

function replaceEntry(c: Ctx, parent: Coll, entry: unknown, value: unknown): string {
  if (parent.flow) return replaceFlowEntry(c, parent, entry, value);
  return isPair(entry) ? replaceValue(c, entry, value) : replaceItem(c, parent, entry, value);
}

/** The value of a block mapping pair. */
function replaceValue(c: Ctx, pair: Pair, value: unknown): string {
  const old = pair.value;
  const colon = colonOf(c, pair);
  const keyCol = column(c.src, rangeOf(pair.key)[0]);
  const oldIsBlock = isCollection(old) && !old.flow;
  const literal = literalScalar(c, old, value, keyCol + c.indent);
  if (literal !== undefined) return splice(c, rangeOf(old)[0], contentEnd(c, old), literal);
  const inline = inlineText(c, old, value);
  if (inline !== undefined) {
    if (!oldIsBlock) return replaceInline(c, old, colon, inline);
    // `key: &a !!map # note` above a block: keep the anchor, tag and comment around the new value.
    const rest = /^((?:[ \t]+[&!][^ \t]*)*)([ \t]*)(#.*)?$/.exec(
      c.src.slice(colon + 1, lineEnd(c.src, colon)),
    );
    if (!rest) throw new YamlEditError(`cannot set ${fmt(c.edit.path)}: unsupported layout after its key`);
    const props = rest[1]?.trim() ? `${rest[1].trim()} ` : '';
    const comment = rest[3] ? `${rest[2] || ' '}${rest[3]}` : '';
    return splice(c, colon + 1, lineEnd(c.src, contentEnd(c, old)), ` ${props}${inline}${comment}`);
  }
  const col = keyCol + (Array.isArray(value) ? c.seqIndent : c.indent);
  if (oldIsBlock) {
    const end = lineEnd(c.src, contentEnd(c, old));
    return splice(
      c,
      lineEnd(c.src, colon),
      end,
      c.eol + renderBlock(c, value, col, literalFits(c, end, col)),
    );
  }
  // A scalar, alias or empty value becomes a block below the key; its anchor, tag and comment stay on the key line.
  const oldEnd = isEmpty(old) ? colon + 1 : contentEnd(c, old);
  const start = isEmpty(old) ? colon + 1 : trimEnd(c.src, rangeOf(old)[0]);
  const eolPos = lineEnd(c.src, oldEnd);
  const block = c.eol + renderBlock(c, value, col, literalFits(c, eolPos, col));
  return splice(c, start, eolPos, c.src.slice(oldEnd, eolPos) + block);
}

/** An item of a block sequence. */
function replaceItem(c: Ctx, seq: Coll, item: unknown, value: unknown): string {
  const dash = itemStart(c, seq, item);
  const col = isEmpty(item) ? column(c.src, dash) + 2 : column(c.src, rangeOf(item)[0]);
  const literal = literalScalar(c, item, value, column(c.src, dash) + 2);
  if (literal !== undefined) return splice(c, rangeOf(item)[0], contentEnd(c, item), literal);
  const inline = inlineText(c, item, value);
  if (inline !== undefined) return replaceInline(c, item, dash, inline);
  if (isEmpty(item)) {
    return splice(
      c,
      dash + 1,
      dash + 1,
      ` ${renderBlock(c, value, col, literalFits(c, dash + 1, col)).slice(col)}`,
    );
  }
  const [start] = rangeOf(item);
  const end = contentEnd(c, item);
  return splice(c, start, end, renderBlock(c, value, col, literalFits(c, end, col)).slice(col));
}

/** Text for a value written on the line of its key or dash, or undefined when it takes a block. */
function inlineText(c: Ctx, old: unknown, value: unknown): string | undefined {
  if (!isBlockValue(value)) return scalarText(value, old, false);
  // A flow collection stays a flow collection; `[]` and `{}` become blocks, the file's usual style.
  if (isCollection(old) && old.flow && old.items.length > 0) return flowText(value, padded(c, old));
  return undefined;
}

/** Replace a scalar or flow node's text; an empty value (`key:`, `-`) gets the text after its indicator. */
function replaceInline(c: Ctx, old: unknown, indicator: number, text: string): string {
  if (isEmpty(old)) return splice(c, indicator + 1, indicator + 1, ` ${text}`);
  const [start] = rangeOf(old);
  return splice(c, start, Math.max(start, contentEnd(c, old)), text);
}

/** A multi-line string replacing a `|` or `>` block scalar is written as a `|` block again. */
function literalScalar(c: Ctx, old: unknown, value: unknown, col: number): string | undefined {
  if (!isScalar(old) || (old.type !== 'BLOCK_LITERAL' && old.type !== 'BLOCK_FOLDED')) return undefined;
  return literalFits(c, contentEnd(c, old), col - 1) ? literalLines(value, col)?.join(c.eol) : undefined;
}

/** The document is empty, only comments, or `~`: the new mapping goes where the content belongs. */
function replaceEmptyRoot(c: Ctx, node: unknown, value: unknown): string {
  if (!isEmpty(node)) {
    const [start, end] = rangeOf(node);
    const text = renderBlock(c, value, 0, literalFits(c, end, 0));
    const lineStart = c.src.lastIndexOf('\n', start - 1) + 1;
    return splice(c, start, end, /^[ \t]*$/.test(c.src.slice(lineStart, start)) ? text : c.eol + text);
  }
  return insertAtRootEnd(c, renderBlock(c, value, 0, rootEndHasBreak(c)));
}

// --- Inserting ---------------------------------------------------------------------------------------------

function insertEntry(c: Ctx, map: YAMLMap, key: string | number, value: unknown): string {
  if (map.flow)
    return insertFlow(c, map, `${keyText(String(key), true)}: ${flowText(value, padded(c, map))}`);
  const firstKey = map.items[0]?.key;
  const col = isNode(firstKey) ? column(c.src, rangeOf(firstKey)[0]) : 0;
  const last = map.items.at(-1);
  if (!last || map === c.doc.contents) {
    return insertAtRootEnd(c, renderBlock(c, { [key]: value }, col, rootEndHasBreak(c)));
  }
  const pos = lineEnd(c.src, contentEnd(c, last));
  return splice(c, pos, pos, c.eol + renderBlock(c, { [key]: value }, col, literalFits(c, pos, col)));
}

/** New top-level keys go after everything, trailing comments included, but before a `...` end marker. */
function insertAtRootEnd(c: Ctx, text: string): string {
  const end = docEnd(c.src);
  if (end !== undefined) return splice(c, end, end, text + c.eol);
  return c.src === '' || c.src.endsWith('\n') ? c.src + text + c.eol : c.src + c.eol + text;
}

/** Whether text added by insertAtRootEnd is followed by a line break. */
function rootEndHasBreak(c: Ctx): boolean {
  return c.src === '' || c.src.endsWith('\n') || docEnd(c.src) !== undefined;
}

function docEnd(src: string): number | undefined {
  for (const token of new Parser().parse(src)) if (token.type === 'doc-end') return token.offset;
  return undefined;
}

function appendItem(c: Ctx, seq: YAMLSeq, value: unknown): string {
  if (seq.flow) return insertFlow(c, seq, flowText(value, padded(c, seq)));
  const pos = lineEnd(c.src, contentEnd(c, seq));
  const col = column(c.src, rangeOf(seq)[0]);
  return splice(c, pos, pos, c.eol + renderBlock(c, [value], col, literalFits(c, pos, col)));
}

// --- Deleting ----------------------------------------------------------------------------------------------

function removeEntry(c: Ctx, parent: Coll, entry: unknown): string {
  if (parent.flow) return removeFlow(c, parent, (parent.items as unknown[]).indexOf(entry));
  const items = parent.items as unknown[];
  const index = items.indexOf(entry);
  const start = itemStart(c, parent, entry);
  const end = afterLine(c.src, lineEnd(c.src, contentEnd(c, entry)));
  const lineStart = c.src.lastIndexOf('\n', start - 1) + 1;
  const ownLines = /^[ \t]*$/.test(c.src.slice(lineStart, start));
  if (items.length === 1) {
    // Removing the last entry would leave `key:` (null), so write an empty collection instead.
    const empty = isMap(parent) ? {} : [];
    if (parent !== c.doc.contents) {
      return applyEdit(c.src, { op: 'set', path: c.edit.path.slice(0, -1), value: empty });
    }
    const eol = end > lineEnd(c.src, contentEnd(c, entry)) ? c.eol : '';
    return splice(c, ownLines ? lineStart : start, end, `{}${eol}`);
  }
  if (ownLines) {
    const stop = joinsBlockScalar(c, lineStart) ? deeperCommentsEnd(c, end, column(c.src, start)) : end;
    if (stop !== end) return splice(c, lineStart, stop, '');
    // The last line of a file without a final line break: the break before it goes instead.
    const bare = end === c.src.length && !c.src.endsWith('\n') && lineStart > 0;
    const from = bare ? lineStart - (c.src[lineStart - 2] === '\r' ? 2 : 1) : lineStart;
    return splice(c, from, end, '');
  }
  // The first entry on a `- ` line: pull the next one up onto that line, or leave the `-` above its comments.
  const next = items[index + 1];
  if (next === undefined) throw new YamlEditError(`cannot delete ${fmt(c.edit.path)}: unsupported layout`);
  const nextStart = itemStart(c, parent, next);
  if (/^[ \t]*$/.test(c.src.slice(end, nextStart))) return splice(c, start, nextStart, '');
  return splice(c, trimEnd(c.src, start, ' \t'), lineEnd(c.src, contentEnd(c, entry)), '');
}

/** Whether a `|` or `>` block ends right before pos (blank lines aside): lines after it could join it. */
function joinsBlockScalar(c: Ctx, pos: number): boolean {
  let found = false;
  visit(c.doc, {
    Scalar(_, node) {
      if (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') return;
      const after = afterLine(c.src, contentEnd(c, node));
      if (after <= pos && /^[ \t\r\n]*$/.test(c.src.slice(after, pos))) found = true;
    },
  });
  return found;
}

/**
 * The end of the comment lines after pos that are indented deeper than col: they belong to the entry
 * before them, and once it is gone they would read as more text of a block scalar above.
 */
function deeperCommentsEnd(c: Ctx, pos: number, col: number): number {
  let stop = pos;
  for (let at = pos; at < c.src.length; ) {
    const line = c.src.slice(at, lineEnd(c.src, at));
    const next = afterLine(c.src, lineEnd(c.src, at));
    const comment = /^( *)#/.exec(line);
    if (comment && (comment[1] ?? '').length > col) stop = next;
    else if (!/^[ \t]*$/.test(line)) break;
    if (next === at) break;
    at = next;
  }
  return stop;
}

// --- Flow collections: edit one item's span, keep the separators the collection already uses -------------

interface FlowItem {
  /** First character of the item (its anchor, tag or `?` included) and the end of its content. */
  start: number;
  end: number;
  /** The comma before it. */
  comma: number | undefined;
}
interface FlowLayout {
  open: number;
  close: number;
  items: FlowItem[];
  trailingComma: number | undefined;
}

function flowLayout(c: Ctx, coll: Coll): FlowLayout {
  const token = coll.srcToken as CST.FlowCollection | undefined;
  const close = token?.end.find((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end');
  if (token?.type !== 'flow-collection' || !close)
    throw new YamlEditError('internal: no flow collection tokens');
  const separator = (t: CST.SourceToken) => ['comma', 'space', 'newline', 'comment'].includes(t.type);
  const real = token.items.filter((it) => it.key || it.value || it.sep || !it.start.every(separator));
  if (real.length !== coll.items.length) {
    throw new YamlEditError(`cannot ${c.edit.op} ${fmt(c.edit.path)}: unsupported flow collection layout`);
  }
  const items = real.map((it, i): FlowItem => {
    const first = it.start.find((t) => !separator(t)) ?? it.key ?? it.value;
    const ast = coll.items[i];
    return {
      start: first && 'offset' in first ? first.offset : rangeOf(ast)[0],
      end: flowItemEnd(ast),
      comma: it.start.find((t) => t.type === 'comma')?.offset,
    };
  });
  const trailing = token.items.at(-1);
  const trailingComma =
    trailing && !real.includes(trailing) ? trailing.start.find((t) => t.type === 'comma') : undefined;
  return { open: token.start.offset, close: close.offset, items, trailingComma: trailingComma?.offset };
}

function flowItemEnd(item: unknown): number {
  if (!isPair(item)) return rangeOf(item)[1];
  if (!isEmpty(item.value)) return rangeOf(item.value)[1];
  const colon = (item.srcToken?.sep ?? []).find((t) => t.type === 'map-value-ind');
  return colon && 'offset' in colon ? colon.offset + 1 : rangeOf(item.key)[1];
}

function replaceFlowEntry(c: Ctx, coll: Coll, entry: unknown, value: unknown): string {
  const old = isPair(entry) ? entry.value : entry;
  const text = isBlockValue(value) ? flowText(value, padded(c, coll)) : scalarText(value, old, true);
  if (!isEmpty(old)) return splice(c, rangeOf(old)[0], rangeOf(old)[1], text);
  if (!isPair(entry))
    throw new YamlEditError(`cannot set ${fmt(c.edit.path)}: unsupported flow collection layout`);
  const end = flowItemEnd(entry);
  if (c.src[end - 1] !== ':') return splice(c, end, end, `: ${text}`);
  return c.src[end] === ' ' ? splice(c, end + 1, end + 1, text) : splice(c, end, end, ` ${text}`);
}

function insertFlow(c: Ctx, coll: Coll, text: string): string {
  const { open, close, items, trailingComma } = flowLayout(c, coll);
  const last = items.at(-1);
  if (!last) {
    const inner = c.src.slice(open + 1, close);
    if (inner.includes('#')) return splice(c, open + 1, open + 1, text);
    const pad = /^[ \t]+$/.test(inner) ? ' ' : '';
    return splice(c, open + 1, close, pad + text + pad);
  }
  if (!c.src.slice(open, last.start).includes('\n')) {
    // One line: reuse the separator between the last two items (`, `, `,`, ` , `).
    const before = items.at(-2);
    const seen = before ? c.src.slice(before.end, last.start) : ', ';
    const sep = /^[ \t]*,[ \t]*$/.test(seen) ? seen : ', ';
    if (trailingComma === undefined) return splice(c, last.end, last.end, sep + text);
    return splice(
      c,
      trailingComma + 1,
      trailingComma + 1,
      `${sep.slice(sep.indexOf(',') + 1) || ' '}${text},`,
    );
  }
  // One item a line: the new one goes on its own line, indented like the last.
  const lineStart = c.src.lastIndexOf('\n', last.start - 1) + 1;
  const line = c.eol + (/^[ \t]*/.exec(c.src.slice(lineStart))?.[0] ?? '');
  if (trailingComma !== undefined) {
    const pos = c.src.slice(trailingComma, close).includes('\n')
      ? lineEnd(c.src, trailingComma)
      : trailingComma + 1;
    return splice(c, pos, pos, `${line}${text},`);
  }
  if (!c.src.slice(last.end, close).includes('\n')) return splice(c, last.end, last.end, `,${line}${text}`);
  const eolPos = lineEnd(c.src, last.end);
  const withLine = splice(c, eolPos, eolPos, line + text);
  return withLine.slice(0, last.end) + ',' + withLine.slice(last.end);
}

function removeFlow(c: Ctx, coll: Coll, index: number): string {
  const { open, close, items, trailingComma } = flowLayout(c, coll);
  const item = items[index]!;
  const next = items[index + 1];
  if (next) return splice(c, item.start, next.start, '');
  const prev = items[index - 1];
  if (!prev) {
    if (!c.src.slice(open, close).includes('#')) return splice(c, open + 1, close, '');
    return splice(c, item.start, trailingComma === undefined ? item.end : trailingComma + 1, '');
  }
  if (!c.src.slice(prev.end, item.end).includes('\n')) return splice(c, prev.end, item.end, '');
  // The last of one item a line: drop its line; the comma before it goes too, unless it is a trailing comma.
  const end =
    trailingComma !== undefined && !c.src.slice(item.end, trailingComma).includes('\n')
      ? trailingComma + 1
      : item.end;
  const lineStart = c.src.lastIndexOf('\n', item.start - 1) + 1;
  const lineRest = c.src.slice(end, lineEnd(c.src, end));
  const whole = /^[ \t]*$/.test(c.src.slice(lineStart, item.start)) && /^[ \t]*(#.*)?$/.test(lineRest);
  let text = whole
    ? splice(c, lineStart, afterLine(c.src, lineEnd(c.src, end)), '')
    : splice(c, item.start, end, '');
  if (trailingComma === undefined && item.comma !== undefined) {
    text = text.slice(0, item.comma) + text.slice(item.comma + 1);
  }
  return text;
}

// --- Rendering new text ------------------------------------------------------------------------------------

/**
 * Block YAML for a collection, every line at column `col`, joined with the file's line ending. Multi-line
 * strings become `|` blocks when `literal` (the text is followed by a line break, which a `|` block needs).
 */
function renderBlock(c: Ctx, value: unknown, col: number, literal: boolean): string {
  const pad = ' '.repeat(col);
  const lines: string[] = [];
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((item) => [undefined, item])
    : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const lead = key === undefined ? `${pad}-` : `${pad}${keyText(key, false)}:`;
    if (isBlockValue(item)) {
      if (key === undefined) {
        // `- a: 1` / `- - x`: the item's first line goes after the dash.
        lines.push(`${lead} ${renderBlock(c, item, col + 2, literal).slice(col + 2)}`);
      } else {
        const inner = col + (Array.isArray(item) ? c.seqIndent : c.indent);
        lines.push(lead, renderBlock(c, item, inner, literal));
      }
      continue;
    }
    const block = literal ? literalLines(item, col + (key === undefined ? 2 : c.indent)) : undefined;
    lines.push(block ? `${lead} ${block.join(c.eol)}` : `${lead} ${scalarText(item, undefined, false)}`);
  }
  return lines.join(c.eol);
}

/** A `|` (or `|-`) block for a multi-line string, content at `col`; undefined when one cannot hold it. */
function literalLines(value: unknown, col: number): string[] | undefined {
  if (typeof value !== 'string' || !value.includes('\n') || /^[ \t\n]|\n\n$/.test(value)) return undefined;
  if (NON_PRINTABLE.test(value.replaceAll('\n', '').replaceAll('\t', ''))) return undefined;
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const content = body.split('\n').map((line) => (line ? ' '.repeat(col) + line : ''));
  return [value.endsWith('\n') ? '|' : '|-', ...content];
}

/** Flow YAML for any value, on one line. */
function flowText(value: unknown, pad: string): string {
  if (Array.isArray(value)) {
    return value.length ? `[${pad}${value.map((v) => flowText(v, pad)).join(', ')}${pad}]` : '[]';
  }
  if (isRecord(value)) {
    const pairs = Object.entries(value).map(([k, v]) => `${keyText(k, true)}: ${flowText(v, pad)}`);
    return pairs.length ? `{${pad}${pairs.join(', ')}${pad}}` : '{}';
  }
  return scalarText(value, undefined, true);
}

/** Text for a scalar (or empty collection); a string keeps the old quote style when it can. */
function scalarText(value: unknown, old: unknown, flow: boolean): string {
  if (typeof value !== 'string') return stringify(value ?? null).trimEnd();
  const style = isScalar(old) ? old.type : undefined;
  if (style === 'QUOTE_DOUBLE') return doubleQuoted(value);
  if (style === 'QUOTE_SINGLE' && !NON_PRINTABLE.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return isPlainSafe(value, flow, false) ? value : doubleQuoted(value);
}

function keyText(key: string, flow: boolean): string {
  return isPlainSafe(key, flow, true) ? key : doubleQuoted(key);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters YAML cannot hold unescaped
const NON_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;

/**
 * Whether a string can be written plain and read back as the same string, by YAML 1.2 and by YAML 1.1
 * parsers alike (so `yes`, `on` and `0777` get quotes, as a 1.1 reader would take them for a bool or number).
 */
function isPlainSafe(text: string, flow: boolean, key: boolean): boolean {
  if (text === '' || text.trim() !== text || NON_PRINTABLE.test(text)) return false;
  if (flow && /[,[\]{}]/.test(text)) return false;
  const samples: [string, unknown][] = [[`- ${text}\n`, [text]]];
  if (flow) samples.push([`[${text}]\n`, [text]]);
  if (key) samples.push([`${text}: 0\n`, { [text]: 0 }]);
  if (key && flow) samples.push([`{${text}: 0}\n`, { [text]: 0 }]);
  return (['1.1', '1.2'] as const).every((version) =>
    samples.every(([sample, wanted]) => {
      const doc = parseDocument(sample, { version, merge: true });
      try {
        return doc.errors.length === 0 && isDeepStrictEqual(doc.toJS(), wanted);
      } catch {
        return false; // `*x`: an alias with no anchor
      }
    }),
  );
}

/** A JSON string is a YAML double-quoted scalar; also escape what YAML does not allow unescaped. */
function doubleQuoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function padded(c: Ctx, coll: Coll): string {
  return /^[[{][ \t]/.test(c.src.slice(rangeOf(coll)[0])) ? ' ' : '';
}

// --- Positions ---------------------------------------------------------------------------------------------

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

/** The node at a path in a parsed document, or undefined. */
function lookup(doc: Document.Parsed, path: YamlPath): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node))
      node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node;
}

/** End of a node's last meaningful character: the last item of a block collection, not its comments. */
function contentEnd(c: Ctx, node: unknown): number {
  if (isPair(node)) return isEmpty(node.value) ? flowItemEnd(node) : contentEnd(c, node.value);
  if (isCollection(node) && !node.flow && node.items.length > 0) return contentEnd(c, node.items.at(-1));
  if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
    // A block scalar's text ends with its last line break; `|+` keeps trailing blank lines as content.
    const end = rangeOf(node)[1];
    return c.src[end - 1] !== '\n' ? end : c.src[end - 2] === '\r' ? end - 2 : end - 1;
  }
  return trimEnd(c.src, rangeOf(node)[1]);
}

/** Where a block pair's key (or its `?`, anchor, tag) or a block sequence item's `-` starts. */
function itemStart(c: Ctx, parent: Coll, item: unknown): number {
  if (isPair(item)) {
    const first = item.srcToken?.start.find(
      (t) => t.type !== 'space' && t.type !== 'newline' && t.type !== 'comment',
    );
    return first?.offset ?? rangeOf(item.key)[0];
  }
  // Every item of a block sequence has its `-`; an empty item (`-` alone) has no token of its own.
  const token = parent.srcToken as CST.BlockSequence | undefined;
  const dashes = (token?.items ?? []).flatMap((it) => it.start.filter((t) => t.type === 'seq-item-ind'));
  const dash = dashes[(parent.items as unknown[]).indexOf(item)];
  if (token?.type !== 'block-seq' || dashes.length !== parent.items.length || !dash) {
    throw new YamlEditError(`cannot ${c.edit.op} ${fmt(c.edit.path)}: unsupported sequence layout`);
  }
  return dash.offset;
}

function colonOf(c: Ctx, pair: Pair): number {
  const token = pair.srcToken?.sep?.find((t) => t.type === 'map-value-ind');
  if (token && 'offset' in token) return token.offset;
  throw new YamlEditError(`cannot edit ${fmt(c.edit.path)}: no ':' after its key`);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlockValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function isIndex(list: unknown[], seg: string | number): seg is number {
  return typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < list.length;
}

/** A deep copy that does not share objects, so an alias's copy can differ from its anchor's. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (!isRecord(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(copy, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
  }
  return copy;
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

/** Back over YAML white space (space, tab, line breaks; not the other characters JavaScript's \s knows). */
function trimEnd(src: string, pos: number, space = ' \t\r\n'): number {
  let end = pos;
  while (end > 0 && space.includes(src[end - 1] ?? 'x')) end--;
  return end;
}

/**
 * Whether a `|` block whose content is indented deeper than `col` can end at pos: a line break must follow
 * (the block's last line needs one), and the next line that is not blank must be indented no deeper than
 * `col`, or it would read as more of the block's text.
 */
function literalFits(c: Ctx, pos: number, col: number): boolean {
  if (c.src[pos] !== '\n' && !c.src.startsWith('\r\n', pos)) return false;
  const next = /^(?:[ \t]*\r?\n)*( *)[^ \r\n]/.exec(c.src.slice(afterLine(c.src, pos)));
  return !next || (next[1] ?? '').length <= col;
}

function splice(c: Ctx, start: number, end: number, text: string): string {
  return c.src.slice(0, start) + text + c.src.slice(end);
}

function fmt(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i > 0 ? `.${s}` : s)).join('') || '(root)';
}
