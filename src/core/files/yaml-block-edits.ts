import {
  type CST,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  type Pair,
  Parser,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { type Collection, type EditContext, formatPath, splice, YamlEditError } from './yaml-edit-context.ts';
import {
  afterLine,
  column,
  contentEnd,
  isEmpty,
  lineEnd,
  literalFits,
  rangeOf,
  trimEnd,
} from './yaml-positions.ts';
import { flowText, isBlockValue, literalLines, padded, renderBlock, scalarText } from './yaml-render.ts';

// Block collections: a value or item is replaced at its span, a new entry goes on its own lines below the
// last one, and a removed entry takes its lines with it.

/** The value of a block mapping pair. */
export function replaceValue(c: EditContext, pair: Pair, value: unknown): string {
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
    if (!rest)
      throw new YamlEditError(`cannot set ${formatPath(c.edit.path)}: unsupported layout after its key`);
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
export function replaceItem(c: EditContext, seq: Collection, item: unknown, value: unknown): string {
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
function inlineText(c: EditContext, old: unknown, value: unknown): string | undefined {
  if (!isBlockValue(value)) return scalarText(value, old, false);
  // A flow collection stays a flow collection; `[]` and `{}` become blocks, the file's usual style.
  if (isCollection(old) && old.flow && old.items.length > 0) return flowText(value, padded(c, old));
  return undefined;
}

/** Replace a scalar or flow node's text; an empty value (`key:`, `-`) gets the text after its indicator. */
function replaceInline(c: EditContext, old: unknown, indicator: number, text: string): string {
  if (isEmpty(old)) return splice(c, indicator + 1, indicator + 1, ` ${text}`);
  const [start] = rangeOf(old);
  return splice(c, start, Math.max(start, contentEnd(c, old)), text);
}

/** A multi-line string replacing a `|` or `>` block scalar is written as a `|` block again. */
function literalScalar(c: EditContext, old: unknown, value: unknown, col: number): string | undefined {
  if (!isScalar(old) || (old.type !== 'BLOCK_LITERAL' && old.type !== 'BLOCK_FOLDED')) return undefined;
  return literalFits(c, contentEnd(c, old), col - 1) ? literalLines(value, col)?.join(c.eol) : undefined;
}

/** The document is empty, only comments, or `~`: the new mapping goes where the content belongs. */
export function replaceEmptyRoot(c: EditContext, node: unknown, value: unknown): string {
  if (!isEmpty(node)) {
    const [start, end] = rangeOf(node);
    const text = renderBlock(c, value, 0, literalFits(c, end, 0));
    const lineStart = c.src.lastIndexOf('\n', start - 1) + 1;
    return splice(c, start, end, /^[ \t]*$/.test(c.src.slice(lineStart, start)) ? text : c.eol + text);
  }
  return insertAtRootEnd(c, renderBlock(c, value, 0, rootEndHasBreak(c)));
}

export function insertBlockEntry(c: EditContext, map: YAMLMap, key: string | number, value: unknown): string {
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
function insertAtRootEnd(c: EditContext, text: string): string {
  const end = docEnd(c.src);
  if (end !== undefined) return splice(c, end, end, text + c.eol);
  return c.src === '' || c.src.endsWith('\n') ? c.src + text + c.eol : c.src + c.eol + text;
}

/** Whether text added by insertAtRootEnd is followed by a line break. */
function rootEndHasBreak(c: EditContext): boolean {
  return c.src === '' || c.src.endsWith('\n') || docEnd(c.src) !== undefined;
}

function docEnd(src: string): number | undefined {
  for (const token of new Parser().parse(src)) if (token.type === 'doc-end') return token.offset;
  return undefined;
}

export function appendBlockItem(c: EditContext, seq: YAMLSeq, value: unknown): string {
  const pos = lineEnd(c.src, contentEnd(c, seq));
  const col = column(c.src, rangeOf(seq)[0]);
  return splice(c, pos, pos, c.eol + renderBlock(c, [value], col, literalFits(c, pos, col)));
}

/** Remove a block entry; `setEmpty` sets a nested collection that would be left with none to an empty one. */
export function removeBlockEntry(
  c: EditContext,
  parent: Collection,
  entry: unknown,
  setEmpty: (empty: object) => string,
): string {
  const items = parent.items as unknown[];
  const index = items.indexOf(entry);
  const start = itemStart(c, parent, entry);
  const end = afterLine(c.src, lineEnd(c.src, contentEnd(c, entry)));
  const lineStart = c.src.lastIndexOf('\n', start - 1) + 1;
  const ownLines = /^[ \t]*$/.test(c.src.slice(lineStart, start));
  if (items.length === 1) {
    // Removing the last entry would leave `key:` (null), so write an empty collection instead.
    const empty = isMap(parent) ? {} : [];
    if (parent !== c.doc.contents) return setEmpty(empty);
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
  if (next === undefined)
    throw new YamlEditError(`cannot delete ${formatPath(c.edit.path)}: unsupported layout`);
  const nextStart = itemStart(c, parent, next);
  if (/^[ \t]*$/.test(c.src.slice(end, nextStart))) return splice(c, start, nextStart, '');
  return splice(c, trimEnd(c.src, start, ' \t'), lineEnd(c.src, contentEnd(c, entry)), '');
}

/** Whether a `|` or `>` block ends right before pos (blank lines aside): lines after it could join it. */
function joinsBlockScalar(c: EditContext, pos: number): boolean {
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
function deeperCommentsEnd(c: EditContext, pos: number, col: number): number {
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

/** Where a block pair's key (or its `?`, anchor, tag) or a block sequence item's `-` starts. */
function itemStart(c: EditContext, parent: Collection, item: unknown): number {
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
    throw new YamlEditError(`cannot ${c.edit.op} ${formatPath(c.edit.path)}: unsupported sequence layout`);
  }
  return dash.offset;
}

function colonOf(c: EditContext, pair: Pair): number {
  const token = pair.srcToken?.sep?.find((t) => t.type === 'map-value-ind');
  if (token && 'offset' in token) return token.offset;
  throw new YamlEditError(`cannot edit ${formatPath(c.edit.path)}: no ':' after its key`);
}
