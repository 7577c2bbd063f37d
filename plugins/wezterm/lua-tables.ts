import { AscError } from '../../src/index.ts';
import {
  assignments,
  callArguments,
  fieldName,
  fieldValue,
  indexedTable,
  isLocalDeclaration,
  type LuaNode,
  lineOf,
  tableFields,
  walk,
} from './lua-tree.ts';

/**
 * Where a config file sets one of WezTerm's list settings (`ssh_domains`, `keys`), and what asc can read
 * of the list: the items written out as table constructors, and what it cannot follow (a value computed
 * by a function, items added in ways it cannot read).
 */
export interface ListSetting {
  /** The setting's name: `ssh_domains`, `keys`. */
  name: string;
  /** The statement or field that sets it, for line numbers and messages. */
  at: LuaNode;
  /** How the file names the list afterwards (`config.keys`), when it is assigned rather than a field. */
  ref: string | undefined;
  /** The list's table constructor, when it is one (directly, or a local that holds one). */
  table: LuaNode | undefined;
  /** The expression that computes the list, when asc cannot read it (`merge_keys(…)`). */
  computed: LuaNode | undefined;
  /** Items asc can read: each a table constructor, in the list or added with `table.insert`. */
  items: ListItem[];
  /** Items, or changes to the list, that asc cannot read. */
  unknown: LuaNode[];
}

export interface ListItem {
  /** The item's table constructor. */
  node: LuaNode;
  /** The statement that adds it, when it is `table.insert(list, item)` or `list[i] = item`. */
  statement: LuaNode | undefined;
}

/** Calls that only read a table: a reference passed to them changes nothing. */
const READERS = new Set([
  'ipairs',
  'pairs',
  'next',
  'type',
  'tostring',
  'print',
  'table.concat',
  'table.unpack',
  'unpack',
]);

/**
 * Find the one place that sets `name`: an assignment `<x>.name = …` (or `<x>["name"] = …`), or a table
 * field `name = …`. None or several is an error that says what asc looked for.
 */
export function findListSetting(root: LuaNode, file: string, name: string, example: string): ListSetting {
  const candidates: { at: LuaNode; target: LuaNode | undefined; value: LuaNode | undefined }[] = [];
  for (const node of walk(root)) {
    if (node.type === 'assignment_statement' && node.parent?.type !== 'variable_declaration') {
      for (const { target, value } of assignments(node)) {
        if (indexedTable(target, name)) candidates.push({ at: node, target, value });
      }
    } else if (node.type === 'field' && fieldName(node) === name) {
      candidates.push({ at: node, target: undefined, value: fieldValue(node) });
    }
  }
  if (candidates.length === 0) {
    throw new AscError(
      `${file} sets no ${name}: asc looked for an assignment \`config.${name} = { … }\` (any \`<table>.${name} = …\`) and for a table field \`${name} = { … }\`, and found neither`,
      {
        code: 'E_FILE',
        hint: `add this where the file builds its config (or point the plugin's file option at the file that sets ${name}):\n${example}`,
      },
    );
  }
  if (candidates.length > 1) {
    const lines = candidates.map((candidate) => lineOf(candidate.at)).join(', ');
    throw new AscError(
      `${file} sets ${name} in ${candidates.length} places (lines ${lines}): asc cannot tell which one WezTerm ends up with`,
      {
        code: 'E_REFUSED',
        hint: `keep one ${name} table in ${file}, or point the plugin's file option at the file that holds the one WezTerm uses`,
      },
    );
  }
  const { at, target, value } = candidates[0]!;
  const setting: ListSetting = {
    name,
    at,
    ref: target ? compact(target.text) : undefined,
    table: undefined,
    computed: undefined,
    items: [],
    unknown: [],
  };
  // Names the list goes by, each with the part of the file where it means this list.
  const refs = new Map<string, LuaNode>(setting.ref ? [[setting.ref, root]] : []);
  const harmless = new Set<number>(target ? [target.id] : []);
  if (!target) {
    // `local config = { keys = { … } }`: the list is `config.keys` afterwards.
    const holder = at.parent ? assignedTo(at.parent) : undefined;
    if (holder) refs.set(`${compact(holder.text)}.${name}`, root);
  }
  if (value?.type === 'table_constructor') {
    setting.table = value;
  } else if (value?.type === 'identifier') {
    harmless.add(value.id);
    const declared = resolveLocal(root, value);
    refs.set(value.text, declared?.scope ?? root);
    if (declared) harmless.add(declared.target.id);
    if (declared?.value?.type === 'table_constructor') setting.table = declared.value;
    else setting.computed = declared?.value ?? value;
  } else if (value) {
    setting.computed = value;
  }
  if (setting.table) {
    for (const field of tableFields(setting.table)) {
      const item = fieldValue(field);
      if (field.childForFieldName('name') || !item) continue;
      if (item.type === 'table_constructor') setting.items.push({ node: field, statement: undefined });
      else setting.unknown.push(item);
    }
  }
  if (setting.computed) setting.unknown.push(setting.computed);
  collectChanges(setting, root, refs, harmless);
  return setting;
}

/** The table constructor of an item (a table field, or the item of a `table.insert`). */
export function itemTable(item: ListItem): LuaNode {
  return item.node.type === 'field' ? (fieldValue(item.node) ?? item.node) : item.node;
}

/** `table.insert(list, item)`, `list[i] = item`, and any other use of the list that may change it. */
function collectChanges(
  setting: ListSetting,
  root: LuaNode,
  scopes: Map<string, LuaNode>,
  harmless: Set<number>,
): void {
  if (scopes.size === 0) return;
  const refs = {
    has(text: string, at: LuaNode): boolean {
      const scope = scopes.get(compact(text));
      return scope !== undefined && scope.startIndex <= at.startIndex && at.endIndex <= scope.endIndex;
    },
  };
  for (const node of walk(root)) {
    if (
      node.type === 'function_call' &&
      compact(node.childForFieldName('name')?.text ?? '') === 'table.insert'
    ) {
      const args = callArguments(node);
      const list = args[0];
      if (!list || !refs.has(list.text, list)) continue;
      harmless.add(list.id);
      const item = args.at(-1);
      if (args.length >= 2 && item?.type === 'table_constructor')
        setting.items.push({ node: item, statement: node });
      else setting.unknown.push(node);
      continue;
    }
    if (node.type === 'assignment_statement') {
      for (const { target, value } of assignments(node)) {
        const base = target.childForFieldName('table');
        if (target.type !== 'bracket_index_expression' || !base || !refs.has(base.text, base)) continue;
        harmless.add(base.id);
        if (value?.type === 'table_constructor') setting.items.push({ node: value, statement: node });
        else setting.unknown.push(node);
      }
      continue;
    }
    if ((node.type !== 'identifier' && node.type !== 'dot_index_expression') || harmless.has(node.id))
      continue;
    if (!refs.has(node.text, node) || isInside(node, harmless)) continue;
    if (isRead(node)) continue;
    setting.unknown.push(node);
  }
}

/** A use that only reads: `#list`, `ipairs(list)`, `list[i]` on the right-hand side, `list.n`. */
function isRead(node: LuaNode): boolean {
  const parent = node.parent;
  if (!parent) return true;
  if (parent.type === 'unary_expression') return true;
  if (
    (parent.type === 'dot_index_expression' || parent.type === 'bracket_index_expression') &&
    parent.childForFieldName('table')?.id === node.id
  ) {
    return !isAssignmentTarget(parent);
  }
  if (parent.type === 'arguments') {
    const call = parent.parent;
    return call !== null && READERS.has(compact(call.childForFieldName('name')?.text ?? ''));
  }
  return false;
}

function isAssignmentTarget(node: LuaNode): boolean {
  return node.parent?.type === 'variable_list';
}

function isInside(node: LuaNode, ids: Set<number>): boolean {
  for (let up = node.parent; up; up = up.parent) if (ids.has(up.id)) return true;
  return false;
}

/** The variable a table constructor is assigned to (`local config = { … }` → `config`). */
function assignedTo(table: LuaNode): LuaNode | undefined {
  const list = table.parent;
  const statement = list?.parent;
  if (list?.type !== 'expression_list' || statement?.type !== 'assignment_statement') return undefined;
  return assignments(statement).find((pair) => pair.value?.id === table.id)?.target;
}

/**
 * What an identifier holds: the nearest `local name = …` before it in an enclosing block, else the one
 * global assignment `name = …` in the file. Undefined when asc cannot tell.
 */
function resolveLocal(
  root: LuaNode,
  use: LuaNode,
): { target: LuaNode; value: LuaNode | undefined; scope: LuaNode | undefined } | undefined {
  let best: { target: LuaNode; value: LuaNode | undefined; scope: LuaNode | undefined } | undefined;
  const globals: { target: LuaNode; value: LuaNode | undefined }[] = [];
  for (const node of walk(root)) {
    if (node.startIndex >= use.startIndex) break;
    if (node.type !== 'assignment_statement') continue;
    const statement = node.parent?.type === 'variable_declaration' ? node.parent : node;
    for (const pair of assignments(statement)) {
      if (pair.target.type !== 'identifier' || pair.target.text !== use.text) continue;
      if (isLocalDeclaration(statement)) {
        const scope = statement.parent;
        if (scope && scope.startIndex <= use.startIndex && use.endIndex <= scope.endIndex) {
          best = { ...pair, scope };
        }
      } else {
        globals.push(pair);
      }
    }
  }
  if (best) return best;
  return globals.length === 1 ? { ...globals[0]!, scope: undefined } : undefined;
}

/** Text without blanks, to compare `config.keys` with `config . keys`. */
export function compact(text: string): string {
  return text.replace(/\s+/g, '');
}
