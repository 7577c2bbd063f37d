import { createRequire } from 'node:module';
import type { Node, Parser } from 'web-tree-sitter';
import { AscError } from '../../src/index.ts';

export type { Node as LuaNode } from 'web-tree-sitter';

/**
 * Lua source read with tree-sitter's Lua grammar (tree-sitter-grammars/tree-sitter-lua), which knows Lua
 * 5.4, the version WezTerm embeds: `local wezterm <const> = require 'wezterm'` is common in WezTerm
 * configs, and luaparse (Lua ≤ 5.3) refuses it. Node offsets are JavaScript string indexes, so an edit
 * is a splice of the text itself.
 */
let parser: Promise<Parser> | undefined;

function loadParser(): Promise<Parser> {
  parser ??= (async () => {
    // Loaded on first use: a run that edits no Lua file never pays for the WebAssembly.
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve(
      '@tree-sitter-grammars/tree-sitter-lua/tree-sitter-lua.wasm',
    );
    const lua = new Parser();
    lua.setLanguage(await Language.load(wasm));
    return lua;
  })();
  parser.catch(() => {
    parser = undefined;
  });
  return parser;
}

/** Parse `text` and give its syntax tree's root to `use`; the tree is freed afterwards. */
export async function withLuaTree<T>(text: string, file: string, use: (root: Node) => T): Promise<T> {
  const tree = (await loadParser()).parse(text);
  if (!tree) throw new AscError(`could not parse ${file}: the Lua parser gave up`, { code: 'E_FILE' });
  try {
    const error = firstError(tree.rootNode);
    if (error) throw syntaxError(file, error.node, error.why);
    return use(tree.rootNode);
  } finally {
    tree.delete();
  }
}

/** Thrown for a file that is not valid Lua: it names the file, the line and the column. */
export function syntaxError(file: string, node: Node, why?: string): AscError {
  const { row, column } = node.startPosition;
  const near =
    why ??
    (node.isMissing
      ? `missing ${node.type === 'identifier' ? 'a name or value' : `"${node.type}"`}`
      : `unexpected ${JSON.stringify(firstLine(node.text) || node.type)}`);
  return new AscError(`${file}:${row + 1}:${column + 1}: not valid Lua (${near}); asc left it as it is`, {
    code: 'E_FILE',
    hint: `fix line ${row + 1} of ${file} (\`luac -p\` names the problem too), then run asc again`,
  });
}

/**
 * The first problem in the tree. The grammar is more lenient than Lua in two places, which Lua's own
 * lexer and parser refuse (lua/llex.c `read_string`, lua/lparser.c `getlocalattribute`): a line break
 * inside a quoted string ("unfinished string"), and a local attribute other than <const> and <close>.
 * An unfinished string comes first: Lua's lexer stops there, while the grammar, reading on to the next
 * quote, reports its confusion wherever its recovery happens to start.
 */
function firstError(root: Node): { node: Node; why?: string } | undefined {
  for (const node of walk(root)) {
    if (node.type === 'string' && unfinished(node)) {
      return { node, why: `unfinished string ${JSON.stringify(firstLine(node.text))}` };
    }
  }
  const found: { node: Node; why?: string }[] = [];
  const error = firstSyntaxError(root);
  if (error) found.push({ node: error });
  const attribute = [...walk(root)].find(
    (node) => node.type === 'attribute' && !/^<\s*(const|close)\s*>$/.test(node.text),
  );
  if (attribute) found.push({ node: attribute, why: `unknown attribute ${JSON.stringify(attribute.text)}` });
  return found.sort((a, b) => a.node.startIndex - b.node.startIndex)[0];
}

function firstSyntaxError(node: Node): Node | undefined {
  if (!node.hasError) return undefined;
  if (node.isMissing) return node;
  if (node.isError) {
    // Recovery may wrap statements that parsed well; the problem is the first child that did not.
    const bad = node.children.find(
      (child) => child.text.trim() !== '' && (child.hasError || !child.isNamed || !COMPLETE.test(child.type)),
    );
    return bad ? (firstSyntaxError(bad) ?? bad) : node;
  }
  for (const child of node.children) {
    const found = firstSyntaxError(child);
    if (found) return found;
  }
  return undefined;
}

const COMPLETE = /(_statement|_declaration|^comment)$/;

/** A quoted string with a raw line break in it (an escaped one, `\` or `\z`, is fine). */
function unfinished(string: Node): boolean {
  const open = string.firstChild?.text;
  if (open !== '"' && open !== "'") return false;
  const content = string.childForFieldName('content');
  if (!content) return false;
  let text = content.text;
  for (const sequence of [...content.namedChildren].reverse()) {
    if (sequence?.type !== 'escape_sequence') continue;
    const start = sequence.startIndex - content.startIndex;
    text = text.slice(0, start) + text.slice(start + sequence.text.length);
  }
  return /[\r\n]/.test(text);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 30 ? `${line.slice(0, 30)}…` : line;
}

/** The value of a literal string node (`"a"`, `'a'`, `[[a]]`), or undefined for anything else. */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const content = node.childForFieldName('content');
  if (!content) return '';
  const open = node.firstChild?.text ?? '"';
  // A long bracket string skips a newline right after its opening bracket, and has no escapes.
  if (open.startsWith('[')) return content.text.replace(/^\r?\n/, '');
  return unescapeLua(content.text);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '\n': '\n',
};

/** Lua 5.4's escapes in a short string (lexer `read_string` in lua/llex.c). */
function unescapeLua(raw: string): string {
  return raw.replace(/\\(z\s*|x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|\d{1,3}|\r\n|.)/gs, (_, esc: string) => {
    if (esc.startsWith('z')) return '';
    if (esc.startsWith('x')) return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
    if (esc.startsWith('u{')) return String.fromCodePoint(Number.parseInt(esc.slice(2, -1), 16));
    if (/^\d/.test(esc)) return String.fromCharCode(Number.parseInt(esc, 10));
    if (esc === '\r\n') return '\n';
    return SIMPLE_ESCAPES[esc] ?? esc;
  });
}

/** Every node under `root` (itself included), depth first, in source order. */
export function* walk(root: Node): Generator<Node> {
  yield root;
  for (const child of root.namedChildren) if (child) yield* walk(child);
}

/** The arguments of a call: `f(a, b)`, `f { … }` and `f "…"` alike. */
export function callArguments(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (!args) return [];
  return args.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment');
}
