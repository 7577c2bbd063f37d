import { type LuaNode, tableFields, walk } from './lua-tree.ts';

/**
 * Edits of Lua source at the parser's source ranges, as `editYaml` does for YAML: each edit replaces
 * one span of the text, and nothing outside the spans moves. New text follows the file's own layout
 * (indentation, quotes, separators, one item per line or not).
 */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Apply splices (non-overlapping, any order) to the text. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const splice of sorted) {
    if (splice.end > limit) throw new Error(`internal: overlapping Lua edits at ${splice.start}`);
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
    limit = splice.start;
  }
  return out;
}

export type Quote = '"' | "'";

/** How the file writes things: quotes, an indentation step, line endings. */
export interface LuaStyle {
  quote: Quote;
  indentUnit: string;
  eol: string;
}

/** The file's style; quotes are counted under `near` (the table being edited) first, then the whole file. */
export function detectStyle(text: string, root: LuaNode, near?: LuaNode): LuaStyle {
  return {
    quote: (near && majorityQuote(near)) ?? majorityQuote(root) ?? '"',
    indentUnit: indentUnit(text),
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

function majorityQuote(root: LuaNode): Quote | undefined {
  let double = 0;
  let single = 0;
  for (const node of walk(root)) {
    if (node.type !== 'string') continue;
    if (node.text.startsWith('"')) double++;
    else if (node.text.startsWith("'")) single++;
  }
  if (double === 0 && single === 0) return undefined;
  return single > double ? "'" : '"';
}

function indentUnit(text: string): string {
  let unit: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const lead = /^[ \t]+(?=\S)/.exec(line)?.[0];
    if (!lead) continue;
    if (lead.startsWith('\t')) return '\t';
    if (unit === undefined || lead.length < unit.length) unit = lead;
  }
  return unit ?? '  ';
}

/** A Lua string literal in the given quote style. */
export function luaString(value: string, quote: Quote): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll(quote, `\\${quote}`)
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters need escapes in Lua strings
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0)}`);
  return `${quote}${escaped}${quote}`;
}

/** Replace a node's text. */
export function replaceNode(node: LuaNode, text: string): Splice {
  return { start: node.startIndex, end: node.endIndex, text };
}

/** The layout of a table constructor, read from its own text. */
export interface TableLayout {
  /** `{` and `}` on different lines. */
  multiline: boolean;
  /** Leading whitespace of the items' lines (multi-line tables). */
  itemIndent: string;
  /** Leading whitespace of the line the table opens on. */
  baseIndent: string;
  /** The separator it uses, `,` or `;`. */
  separator: string;
  /** The last item is followed by a separator. */
  trailing: boolean;
  /** `{ a }` rather than `{a}`. */
  padded: boolean;
  /** `a = 1` rather than `a=1`. */
  spacedEquals: boolean;
}

export function tableLayout(text: string, table: LuaNode, style: LuaStyle): TableLayout {
  const items = tableFields(table);
  const open = table.startIndex;
  const close = table.endIndex - 1;
  const multiline = table.startPosition.row !== table.endPosition.row;
  const baseIndent = leadingWhitespace(text, open);
  const first = items[0];
  const itemIndent =
    first && startsLine(text, first.startIndex)
      ? leadingWhitespace(text, first.startIndex)
      : baseIndent + style.indentUnit;
  const separators = table.children.filter((child) => child.type === ',' || child.type === ';');
  const last = items.at(-1);
  const trailing = last !== undefined && separators.some((sep) => sep.startIndex >= last.endIndex);
  const equals = items.find((item) => item.childForFieldName('name'));
  return {
    multiline,
    itemIndent,
    baseIndent,
    separator: separators[0]?.type ?? ',',
    trailing: items.length === 0 ? multiline : trailing,
    padded: items.length === 0 ? true : /\s/.test(text[open + 1] ?? ' ') || /\s/.test(text[close - 1] ?? ' '),
    spacedEquals: equals ? /\s=|=\s/.test(equals.text.slice(0, equals.text.indexOf('=') + 2)) : true,
  };
}

/** Renders one item; gets the indentation its first line stands at, and the table's layout. */
export type RenderItem = (indent: string, layout: TableLayout) => string;

/**
 * Append items to a table constructor, after its last item, in the table's own layout: one per line in a
 * table written one item per line, inline in an inline one.
 */
export function appendItems(
  text: string,
  table: LuaNode,
  style: LuaStyle,
  render: readonly RenderItem[],
): Splice[] {
  if (render.length === 0) return [];
  const layout = tableLayout(text, table, style);
  const items = tableFields(table);
  const last = items.at(-1);
  const sep = layout.separator;
  if (!last) {
    // An empty table `{}`: one item per line, indented one step from the line the table opens on.
    const indent = layout.baseIndent + style.indentUnit;
    const lines = render.map(
      (item) => `${style.eol}${indent}${item(indent, { ...layout, multiline: true })}${sep}`,
    );
    return [
      {
        start: table.startIndex + 1,
        end: table.endIndex - 1,
        text: `${lines.join('')}${style.eol}${layout.baseIndent}`,
      },
    ];
  }
  const sepAfterLast = table.children.find(
    (child) => (child.type === ',' || child.type === ';') && child.startIndex >= last.endIndex,
  );
  // Without a separator after the last item, one goes right after it.
  const missingSep = sepAfterLast ? '' : sep;
  let anchor = sepAfterLast?.endIndex ?? last.endIndex;
  if (!layout.multiline) {
    const parts = render.map((item) => item('', layout));
    const body = sepAfterLast ? `${parts.join(`${sep} `)}${sep}` : parts.join(`${sep} `);
    return [{ start: anchor, end: anchor, text: `${missingSep} ${body}` }];
  }
  // Past a comment that ends the last item's line, unless the table closes on that line.
  const eolAt = lineEnd(text, anchor);
  if (eolAt < table.endIndex - 1) anchor = eolAt;
  const lines = render.map((item, index) => {
    const more = index < render.length - 1 || layout.trailing;
    return `${style.eol}${layout.itemIndent}${item(layout.itemIndent, layout)}${more ? sep : ''}`;
  });
  if (anchor === last.endIndex) return [{ start: anchor, end: anchor, text: missingSep + lines.join('') }];
  const splices: Splice[] = [{ start: anchor, end: anchor, text: lines.join('') }];
  if (missingSep) splices.push({ start: last.endIndex, end: last.endIndex, text: missingSep });
  return splices;
}

/**
 * Remove an item from a table constructor with its separator. An item alone on its line(s) takes its
 * lines with it (a comment at the end of its last line goes too).
 */
export function removeItem(text: string, table: LuaNode, item: LuaNode): Splice {
  const items = tableFields(table);
  const index = items.findIndex((candidate) => candidate.startIndex === item.startIndex);
  const sepAfter = table.children.find(
    (child) =>
      (child.type === ',' || child.type === ';') &&
      child.startIndex >= item.endIndex &&
      (items[index + 1] === undefined || child.startIndex < (items[index + 1]?.startIndex ?? 0)),
  );
  const end = sepAfter?.endIndex ?? item.endIndex;
  return removeSpan(text, item.startIndex, end);
}

/** Remove a statement, with its line when nothing else stands on it. */
export function removeStatement(text: string, statement: LuaNode): Splice {
  return removeSpan(text, statement.startIndex, statement.endIndex);
}

function removeSpan(text: string, start: number, end: number): Splice {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const eol = lineEnd(text, end);
  const rest = text.slice(end, eol);
  if (text.slice(lineStart, start).trim() === '' && (rest.trim() === '' || rest.trim().startsWith('--'))) {
    const next = text.startsWith('\r\n', eol) ? eol + 2 : text[eol] === '\n' ? eol + 1 : eol;
    return { start: lineStart, end: next, text: '' };
  }
  // Inline: take the blanks after it too, so `{ a, b, c }` becomes `{ a, c }`.
  let stop = end;
  while (text[stop] === ' ' || text[stop] === '\t') stop++;
  return { start, end: stop, text: '' };
}

/** A `name = value` field for appendItems. */
export function fieldItem(name: string, valueText: string): RenderItem {
  return (_, layout) => `${name}${layout.spacedEquals ? ' = ' : '='}${valueText}`;
}

/** A table constructor's text for `fields` (already rendered values), in a layout like `layout`. */
export function renderTable(
  fields: readonly [string, string][],
  layout: Pick<TableLayout, 'multiline' | 'padded' | 'spacedEquals' | 'separator' | 'trailing'>,
  indent: string,
  style: LuaStyle,
): string {
  const eq = layout.spacedEquals ? ' = ' : '=';
  const parts = fields.map(([name, value]) => `${name}${eq}${value}`);
  if (!layout.multiline) {
    const pad = layout.padded ? ' ' : '';
    return `{${pad}${parts.join(`${layout.separator} `)}${pad}}`;
  }
  const inner = indent + style.indentUnit;
  const lines = parts.map((part, i) =>
    i < parts.length - 1 || layout.trailing ? `${part}${layout.separator}` : part,
  );
  return `{${style.eol}${lines.map((line) => inner + line).join(style.eol)}${style.eol}${indent}}`;
}

function leadingWhitespace(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

function startsLine(text: string, pos: number): boolean {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return text.slice(lineStart, pos).trim() === '';
}

function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  if (nl < 0) return text.length;
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}
