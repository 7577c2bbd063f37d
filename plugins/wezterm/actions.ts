import { luaString, type Quote } from './lua-edit.ts';
import { compact } from './lua-tables.ts';
import {
  assignments,
  callArguments,
  fieldName,
  fieldValue,
  type LuaNode,
  lastFieldValue,
  stringValue,
  tableFields,
  walk,
} from './lua-tree.ts';
import type { WantedAction } from './options.ts';

/**
 * WezTerm key assignments as config files write them. Every spelling gives the same value
 * (docs: config/lua/keyassignment/index.md, "wezterm.action"):
 *   act.SpawnTab { DomainName = 'x' }        member of the action table, called with a table
 *   wezterm.action.SpawnTab('DefaultDomain')  the same, in parentheses, with a string
 *   wezterm.action { SpawnTab = … }           the older call form
 *   { SpawnTab = … }, 'ActivateCopyMode'      a bare table or name
 */
export type Spelling =
  | { kind: 'member'; prefix: string; paren: boolean; gap: string }
  | { kind: 'call'; callee: string; paren: boolean; gap: string }
  | { kind: 'table' };

/** How tables are written: `{ a = 1 }` or `{a=1}`. */
export interface TableLook {
  padded: boolean;
  spacedEquals: boolean;
}

export interface ReadAction {
  name: string;
  /** Its argument: a table constructor or a string, when it has one. */
  arg: LuaNode | undefined;
  spelling: Spelling | undefined;
}

/** Names the file gives the wezterm module and its action table. */
export interface ActionNames {
  /** Names read as the wezterm module: those bound to `require 'wezterm'`, and `wezterm` itself. */
  wezterm: Set<string>;
  /** Names bound to `require 'wezterm'` in this file. */
  required: string[];
  act: Set<string>;
}

/** `local wezterm = require 'wezterm'` and `local act = wezterm.action`, wherever they are. */
export function actionNames(root: LuaNode): ActionNames {
  const names: ActionNames = { wezterm: new Set(['wezterm']), required: [], act: new Set() };
  for (const node of walk(root)) {
    if (node.type !== 'variable_declaration' && node.type !== 'assignment_statement') continue;
    for (const { target, value } of assignments(node)) {
      if (target.type !== 'identifier' || !value) continue;
      if (isRequireWezterm(value)) {
        names.wezterm.add(target.text);
        names.required.push(target.text);
      } else if (isActionTable(value, names)) names.act.add(target.text);
    }
  }
  return names;
}

function isRequireWezterm(node: LuaNode): boolean {
  if (node.type !== 'function_call' || node.childForFieldName('name')?.text !== 'require') return false;
  return stringValue(callArguments(node)[0]) === 'wezterm';
}

/** `act`, `wezterm.action`, `require('wezterm').action`. */
function isActionTable(node: LuaNode, names: ActionNames): boolean {
  if (node.type === 'identifier') return names.act.has(node.text);
  if (node.type !== 'dot_index_expression' || node.childForFieldName('field')?.text !== 'action')
    return false;
  const base = node.childForFieldName('table');
  if (!base) return false;
  return (base.type === 'identifier' && names.wezterm.has(base.text)) || isRequireWezterm(base);
}

/** What an `action = …` value is, when asc can tell. */
export function readAction(node: LuaNode, names: ActionNames): ReadAction | undefined {
  if (node.type === 'string') {
    const name = stringValue(node);
    return name ? { name, arg: undefined, spelling: undefined } : undefined;
  }
  if (node.type === 'dot_index_expression') {
    const base = node.childForFieldName('table');
    const field = node.childForFieldName('field');
    if (base && field && isActionTable(base, names)) {
      return {
        name: field.text,
        arg: undefined,
        spelling: { kind: 'member', prefix: base.text, paren: false, gap: ' ' },
      };
    }
    return undefined;
  }
  if (node.type === 'table_constructor') return readTableForm(node, { kind: 'table' });
  if (node.type !== 'function_call') return undefined;
  const callee = node.childForFieldName('name');
  const args = callArguments(node);
  const argsNode = node.childForFieldName('arguments');
  const paren = argsNode?.text.startsWith('(') ?? false;
  if (!callee || !argsNode || args.length > 1) return undefined;
  const gap = node.text.slice(callee.endIndex - node.startIndex, argsNode.startIndex - node.startIndex);
  if (callee.type === 'dot_index_expression') {
    const base = callee.childForFieldName('table');
    const field = callee.childForFieldName('field');
    if (base && field && isActionTable(base, names)) {
      return { name: field.text, arg: args[0], spelling: { kind: 'member', prefix: base.text, paren, gap } };
    }
  }
  if (isActionTable(callee, names) && args[0]?.type === 'table_constructor') {
    return readTableForm(args[0], { kind: 'call', callee: callee.text, paren, gap });
  }
  return undefined;
}

/** `{ SpawnTab = … }`: one field, named like an action. */
function readTableForm(table: LuaNode, spelling: Spelling): ReadAction | undefined {
  const fields = tableFields(table);
  const name = fields.length === 1 ? fieldName(fields[0]!) : undefined;
  if (!name || !/^[A-Z]/.test(name)) return undefined;
  return { name, arg: fieldValue(fields[0]!), spelling };
}

/** Does the action in the file do what is wanted? */
export function sameAction(found: ReadAction | undefined, wanted: WantedAction): boolean {
  if (found?.name !== wanted.name || found.arg?.type !== 'table_constructor') return false;
  if (wanted.name === 'SpawnTab') {
    return stringValue(lastFieldValue(found.arg, 'DomainName')) === wanted.domain;
  }
  const flags = stringValue(lastFieldValue(found.arg, 'flags'));
  return flags !== undefined && sameFlags(flags, wanted.flags);
}

/** WezTerm reads flags into a bit set: order and blanks do not matter. */
function sameFlags(a: string, b: string): boolean {
  const set = (flags: string) =>
    flags
      .split('|')
      .map((flag) => flag.trim())
      .filter(Boolean)
      .sort()
      .join('|');
  return set(a) === set(b);
}

/** The spelling most actions in the file use; `act.X { … }` style when there is none to copy. */
export function preferredSpelling(root: LuaNode, names: ActionNames, quote: Quote): Spelling {
  const counts = new Map<string, { spelling: Spelling; count: number }>();
  for (const node of walk(root)) {
    if (node.type !== 'field' || fieldName(node) !== 'action') continue;
    const value = fieldValue(node);
    const spelling = value && readAction(value, names)?.spelling;
    if (!spelling) continue;
    const key = JSON.stringify(
      spelling.kind === 'member' ? { ...spelling, prefix: compact(spelling.prefix) } : spelling,
    );
    const entry = counts.get(key) ?? { spelling, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  let best: { spelling: Spelling; count: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  if (best) return best.spelling;
  const [act] = names.act;
  if (act) return { kind: 'member', prefix: act, paren: false, gap: ' ' };
  const [wezterm] = names.required;
  const module = wezterm ?? `require(${luaString('wezterm', quote)})`;
  return { kind: 'member', prefix: `${module}.action`, paren: false, gap: ' ' };
}

/** The action's Lua text in a given spelling: `act.SpawnTab { DomainName = "ascalon" }`. */
export function renderAction(
  action: WantedAction,
  spelling: Spelling,
  quote: Quote,
  look: TableLook,
): string {
  const table = (name: string, value: string) => {
    const pad = look.padded ? ' ' : '';
    return `{${pad}${name}${look.spacedEquals ? ' = ' : '='}${value}${pad}}`;
  };
  const [field, value] = actionField(action);
  const arg = table(field, luaString(value, quote));
  switch (spelling.kind) {
    case 'member':
      return spelling.paren
        ? `${spelling.prefix}.${action.name}${spelling.gap}(${arg})`
        : `${spelling.prefix}.${action.name}${spelling.gap}${arg}`;
    case 'call': {
      const inner = table(action.name, arg);
      return spelling.paren
        ? `${spelling.callee}${spelling.gap}(${inner})`
        : `${spelling.callee}${spelling.gap}${inner}`;
    }
    case 'table':
      return table(action.name, arg);
  }
}

/** The argument field asc sets: `DomainName` of SpawnTab, `flags` of ShowLauncherArgs. */
export function actionField(action: WantedAction): [string, string] {
  return action.name === 'SpawnTab' ? ['DomainName', action.domain] : ['flags', action.flags];
}

/** `SpawnTab { DomainName = "ascalon" }`, for messages. */
export function describeAction(action: WantedAction): string {
  return action.name === 'SpawnTab'
    ? `SpawnTab { DomainName = "${action.domain}" }`
    : `ShowLauncherArgs { flags = "${action.flags}" }`;
}
