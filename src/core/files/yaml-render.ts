import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  stringify,
  visit,
} from 'yaml';
import { type Collection, type EditContext, isRecord } from './yaml-edit-context.ts';
import { column, rangeOf } from './yaml-positions.ts';

// New text in the file's own style: its line ending and indentation, quoting that reads back as the same
// value, `|` blocks for multi-line strings, flow collections padded as the file pads them.

/** The file's line ending and how it indents nested collections, which new text follows. */
export function detectLayout(
  doc: Document.Parsed,
  src: string,
): Pick<EditContext, 'eol' | 'indent' | 'seqIndent'> {
  const eol = src.match(/\r?\n/)?.[0] === '\r\n' ? '\r\n' : '\n';
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
  return { eol, indent: indent ?? 2, seqIndent: seqIndent ?? 2 };
}

/**
 * Block YAML for a collection, every line at column `col`, joined with the file's line ending. Multi-line
 * strings become `|` blocks when `literal` (the text is followed by a line break, which a `|` block needs).
 */
export function renderBlock(c: EditContext, value: unknown, col: number, literal: boolean): string {
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
export function literalLines(value: unknown, col: number): string[] | undefined {
  if (typeof value !== 'string' || !value.includes('\n') || /^[ \t\n]|\n\n$/.test(value)) return undefined;
  if (NON_PRINTABLE.test(value.replaceAll('\n', '').replaceAll('\t', ''))) return undefined;
  const body = value.endsWith('\n') ? value.slice(0, -1) : value;
  const content = body.split('\n').map((line) => (line ? ' '.repeat(col) + line : ''));
  return [value.endsWith('\n') ? '|' : '|-', ...content];
}

/** Flow YAML for any value, on one line. */
export function flowText(value: unknown, pad: string): string {
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
export function scalarText(value: unknown, old: unknown, flow: boolean): string {
  if (typeof value !== 'string') return stringify(value ?? null).trimEnd();
  const style = isScalar(old) ? old.type : undefined;
  if (style === 'QUOTE_DOUBLE') return doubleQuoted(value);
  if (style === 'QUOTE_SINGLE' && !NON_PRINTABLE.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return isPlainSafe(value, flow, false) ? value : doubleQuoted(value);
}

export function keyText(key: string, flow: boolean): string {
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

export function padded(c: EditContext, coll: Collection): string {
  return /^[[{][ \t]/.test(c.src.slice(rangeOf(coll)[0])) ? ' ' : '';
}

export function isBlockValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}
