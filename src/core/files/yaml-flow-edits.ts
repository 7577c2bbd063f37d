import { type CST, isPair, type YAMLMap, type YAMLSeq } from 'yaml';
import { type Collection, type EditContext, formatPath, splice, YamlEditError } from './yaml-edit-context.ts';
import { afterLine, flowItemEnd, isEmpty, lineEnd, rangeOf } from './yaml-positions.ts';
import { flowText, isBlockValue, keyText, padded, scalarText } from './yaml-render.ts';

// Flow collections (`[a, b]`, `{a: 1}`): edit one item's span, found from the parser's tokens, and keep the
// separators the collection already uses.

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

function flowLayout(c: EditContext, coll: Collection): FlowLayout {
  const token = coll.srcToken as CST.FlowCollection | undefined;
  const close = token?.end.find((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end');
  if (token?.type !== 'flow-collection' || !close)
    throw new YamlEditError('internal: no flow collection tokens');
  const separator = (t: CST.SourceToken) => ['comma', 'space', 'newline', 'comment'].includes(t.type);
  const real = token.items.filter((it) => it.key || it.value || it.sep || !it.start.every(separator));
  if (real.length !== coll.items.length) {
    throw new YamlEditError(
      `cannot ${c.edit.op} ${formatPath(c.edit.path)}: unsupported flow collection layout`,
    );
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

export function replaceFlowEntry(c: EditContext, coll: Collection, entry: unknown, value: unknown): string {
  const old = isPair(entry) ? entry.value : entry;
  const text = isBlockValue(value) ? flowText(value, padded(c, coll)) : scalarText(value, old, true);
  if (!isEmpty(old)) return splice(c, rangeOf(old)[0], rangeOf(old)[1], text);
  if (!isPair(entry))
    throw new YamlEditError(`cannot set ${formatPath(c.edit.path)}: unsupported flow collection layout`);
  const end = flowItemEnd(entry);
  if (c.src[end - 1] !== ':') return splice(c, end, end, `: ${text}`);
  return c.src[end] === ' ' ? splice(c, end + 1, end + 1, text) : splice(c, end, end, ` ${text}`);
}
export function insertFlowEntry(c: EditContext, map: YAMLMap, key: string | number, value: unknown): string {
  return insertFlow(c, map, `${keyText(String(key), true)}: ${flowText(value, padded(c, map))}`);
}

export function appendFlowItem(c: EditContext, seq: YAMLSeq, value: unknown): string {
  return insertFlow(c, seq, flowText(value, padded(c, seq)));
}

function insertFlow(c: EditContext, coll: Collection, text: string): string {
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

export function removeFlow(c: EditContext, coll: Collection, index: number): string {
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
