import { isCollection, isNode, isPair, isScalar, type Range } from 'yaml';
import { type EditContext, YamlEditError } from './yaml-edit-context.ts';

// Where things are in the source text: node spans, line ends, columns.

/** End of a node's last meaningful character: the last item of a block collection, not its comments. */
export function contentEnd(c: EditContext, node: unknown): number {
  if (isPair(node)) return isEmpty(node.value) ? flowItemEnd(node) : contentEnd(c, node.value);
  if (isCollection(node) && !node.flow && node.items.length > 0) return contentEnd(c, node.items.at(-1));
  if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
    // A block scalar's text ends with its last line break; `|+` keeps trailing blank lines as content.
    const end = rangeOf(node)[1];
    return c.src[end - 1] !== '\n' ? end : c.src[end - 2] === '\r' ? end - 2 : end - 1;
  }
  return trimEnd(c.src, rangeOf(node)[1]);
}

export function flowItemEnd(item: unknown): number {
  if (!isPair(item)) return rangeOf(item)[1];
  if (!isEmpty(item.value)) return rangeOf(item.value)[1];
  const colon = (item.srcToken?.sep ?? []).find((t) => t.type === 'map-value-ind');
  return colon && 'offset' in colon ? colon.offset + 1 : rangeOf(item.key)[1];
}

export function rangeOf(node: unknown): Range {
  if (isNode(node) && node.range) return node.range;
  throw new YamlEditError('internal: YAML node without a source range');
}

export function isEmpty(node: unknown): boolean {
  return !isNode(node) || !node.range || node.range[0] === node.range[1];
}

export function column(src: string, pos: number): number {
  return pos - (src.lastIndexOf('\n', pos - 1) + 1);
}

export function lineEnd(src: string, pos: number): number {
  const nl = src.indexOf('\n', pos);
  if (nl < 0) return src.length;
  return src[nl - 1] === '\r' ? nl - 1 : nl;
}

export function afterLine(src: string, pos: number): number {
  return src.startsWith('\r\n', pos) ? pos + 2 : src[pos] === '\n' ? pos + 1 : pos;
}

/** Back over YAML white space (space, tab, line breaks; not the other characters JavaScript's \s knows). */
export function trimEnd(src: string, pos: number, space = ' \t\r\n'): number {
  let end = pos;
  while (end > 0 && space.includes(src[end - 1] ?? 'x')) end--;
  return end;
}

/**
 * Whether a `|` block whose content is indented deeper than `col` can end at pos: a line break must follow
 * (the block's last line needs one), and the next line that is not blank must be indented no deeper than
 * `col`, or it would read as more of the block's text.
 */
export function literalFits(c: EditContext, pos: number, col: number): boolean {
  if (c.src[pos] !== '\n' && !c.src.startsWith('\r\n', pos)) return false;
  const next = /^(?:[ \t]*\r?\n)*( *)[^ \r\n]/.exec(c.src.slice(afterLine(c.src, pos)));
  return !next || (next[1] ?? '').length <= col;
}
