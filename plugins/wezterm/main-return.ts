import { AscError } from '../../src/index.ts';
import { callArguments, type LuaNode, stringValue, walk, withLuaTree } from './lua-tree.ts';
import { MODULE_NAME } from './module.ts';

/** What the main config file's final `return` is, and the one edit that makes it call the module. */
export type MainPlan =
  | { state: 'wrapped'; line: number }
  | {
      state: 'wrap';
      line: number;
      /** The whole file after the edit. */
      text: string;
      /** The lines to write by hand, for a file asc may not write: `line 12: return require("ascalon")(config)`. */
      byHand: string;
    };

/** `require("ascalon")(<expr>)`: the call asc puts around the returned expression. */
export const wrapCall = (expression: string) => `require("${MODULE_NAME}")(${expression})`;

const FUNCTIONS = new Set(['function_declaration', 'function_definition']);

/** Returns of the chunk itself, not of a function in it: the ones whose value WezTerm gets. */
function chunkReturns(root: LuaNode): LuaNode[] {
  const found: LuaNode[] = [];
  for (const node of walk(root)) {
    if (node.type !== 'return_statement') continue;
    let up = node.parent;
    while (up && up.type !== 'chunk' && !FUNCTIONS.has(up.type)) up = up.parent;
    if (up?.type === 'chunk') found.push(node);
  }
  return found;
}

function returnedExpressions(statement: LuaNode): LuaNode[] {
  const list = statement.namedChildren.find((child) => child?.type === 'expression_list');
  return list
    ? list.namedChildren.filter((child): child is LuaNode => child !== null && child.type !== 'comment')
    : [];
}

/** `require("ascalon")(x)` (any quotes or spacing): the argument node, else undefined. */
function wrappedArgument(expression: LuaNode): LuaNode | undefined {
  if (expression.type !== 'function_call') return undefined;
  const callee = expression.childForFieldName('name');
  if (callee?.type !== 'function_call' || callee.childForFieldName('name')?.text !== 'require')
    return undefined;
  const required = callArguments(callee);
  if (required.length !== 1 || stringValue(required[0]) !== MODULE_NAME) return undefined;
  const args = callArguments(expression);
  return args.length === 1 ? args[0] : undefined;
}

const indent = (lines: string) => lines.replace(/^/gm, '  ');

const line = (node: LuaNode) => node.startPosition.row + 1;

/** `line N: return require("ascalon")(…)` for one return statement. */
function handLine(text: string, statement: LuaNode): string {
  const [expression] = returnedExpressions(statement);
  return expression
    ? byHand(text, statement, expression)
    : `line ${line(statement)}: return ${wrapCall('config')}`;
}

/** The changed lines of a wrap, as the user would write them: one line, or the first and the last. */
function byHand(text: string, statement: LuaNode, expression: LuaNode): string {
  const lineStart = text.lastIndexOf('\n', statement.startIndex - 1) + 1;
  const prefix = text.slice(lineStart, expression.startIndex);
  const [first, ...rest] = expression.text.split(/\r?\n/);
  if (rest.length === 0) return `line ${line(statement)}: ${prefix}${wrapCall(expression.text)}`;
  return [
    `line ${expression.startPosition.row + 1}: ${prefix}require("${MODULE_NAME}")(${first}`,
    `line ${expression.endPosition.row + 1}: ${rest.at(-1)})`,
  ].join('\n');
}

/** A module file (`M.setup = function…`, `return M`) rather than the config: what it returns holds functions. */
function returnsModule(root: LuaNode, expression: LuaNode): boolean {
  if (expression.type !== 'identifier') return false;
  const name = expression.text;
  for (const node of walk(root)) {
    if (node.type === 'function_declaration') {
      const target = node.childForFieldName('name');
      const base = target?.childForFieldName('table');
      if (base?.type === 'identifier' && base.text === name) return true;
    }
    if (node.type === 'assignment_statement') {
      const [target] =
        node.namedChildren.find((child) => child?.type === 'variable_list')?.namedChildren ?? [];
      const [value] =
        node.namedChildren.find((child) => child?.type === 'expression_list')?.namedChildren ?? [];
      const base = target?.childForFieldName('table');
      if (base?.text === name && value?.type === 'function_definition') return true;
    }
  }
  return false;
}

/**
 * Plan the one edit of the main config file. A file asc cannot edit safely is an error whose hint is the
 * exact line to write: no `return` at the end of the file, a `return` inside a branch or block (which
 * would skip the module), several values returned, or a module's table returned instead of the config.
 */
export async function planMain(text: string, shown: string, option: string): Promise<MainPlan> {
  return withLuaTree(text, shown, (root) => {
    const returns = chunkReturns(root);
    const last = root.namedChildren.filter((child) => child !== null && child.type !== 'comment').at(-1);
    const final = last?.type === 'return_statement' ? last : undefined;
    const branches = returns.filter((statement) => statement !== final);
    const wrapped = (statement: LuaNode) => {
      const values = returnedExpressions(statement);
      return values.length === 1 && wrappedArgument(values[0]!) !== undefined;
    };
    if (branches.length > 0 && returns.every(wrapped))
      return { state: 'wrapped', line: line(returns.at(-1)!) };
    if (branches.length > 0) {
      throw new AscError(
        `${shown} returns from inside a branch (line ${branches.map(line).join(', ')}): asc makes one edit, to the file's final top-level return, and a return elsewhere would skip it; asc changed nothing`,
        {
          code: 'E_REFUSED',
          hint: `write each return of the config in ${shown} as asc would:\n${returns.map((statement) => indent(handLine(text, statement))).join('\n')}\nasc then finds the file converged`,
        },
      );
    }
    if (!final) {
      throw new AscError(
        `${shown} does not end with a top-level \`return\` of the config; asc changed nothing`,
        {
          code: 'E_REFUSED',
          hint: `${option} must name the file WezTerm loads, which ends with \`return config\` (or \`return { … }\`); end it with:\n  return ${wrapCall('config')}\n(your config table's name in place of config)`,
        },
      );
    }
    const expressions = returnedExpressions(final);
    const [expression] = expressions;
    if (!expression || expressions.length > 1) {
      throw new AscError(
        `${shown}:${line(final)}: the final return gives ${expressions.length} values, not one config; asc changed nothing`,
        {
          code: 'E_REFUSED',
          hint: `return the config alone, as asc would write it:\n${indent(handLine(text, final))}`,
        },
      );
    }
    if (wrappedArgument(expression)) return { state: 'wrapped', line: line(final) };
    if (returnsModule(root, expression)) {
      throw new AscError(
        `${shown} returns the module ${expression.text} (it defines functions on it), not WezTerm's config; asc changed nothing`,
        {
          code: 'E_REFUSED',
          hint: `set ${option} to the file WezTerm loads (wezterm.lua, or its source in your repo): the one that requires this module and returns the config`,
        },
      );
    }
    const edited = `${text.slice(0, expression.startIndex)}${wrapCall(expression.text)}${text.slice(expression.endIndex)}`;
    return { state: 'wrap', line: line(final), text: edited, byHand: byHand(text, final, expression) };
  });
}

/** The main file with asc's calls taken off its returns (the text as it was before), or undefined. */
export async function unwrapMain(
  text: string,
  shown: string,
): Promise<{ text: string; lines: number[] } | undefined> {
  return withLuaTree(text, shown, (root) => {
    const calls = chunkReturns(root)
      .map((statement) => returnedExpressions(statement)[0])
      .map((expression) => ({ expression, inner: expression && wrappedArgument(expression) }))
      .filter((found): found is { expression: LuaNode; inner: LuaNode } => found.inner !== undefined);
    if (calls.length === 0) return undefined;
    let out = text;
    for (const { expression, inner } of [...calls].reverse()) {
      out = `${out.slice(0, expression.startIndex)}${inner.text}${out.slice(expression.endIndex)}`;
    }
    return { text: out, lines: calls.map(({ expression }) => line(expression)) };
  });
}
