import { AscError } from '../../src/index.ts';
import {
  type ActionNames,
  actionField,
  actionNames,
  describeAction,
  preferredSpelling,
  readAction,
  renderAction,
  type Spelling,
  sameAction,
} from './actions.ts';
import { comboId, couldBe, normalizeBinding } from './keys.ts';
import {
  appendItems,
  applySplices,
  detectStyle,
  fieldItem,
  type LuaStyle,
  luaString,
  type RenderItem,
  removeItem,
  removeStatement,
  renderTable,
  replaceNode,
  type Splice,
  tableLayout,
} from './lua-edit.ts';
import type { LuaPlan } from './lua-files.ts';
import { findListSetting, itemTable, type ListItem, type ListSetting } from './lua-tables.ts';
import {
  fieldsNamed,
  fieldValue,
  type LuaNode,
  lastFieldValue,
  lineOf,
  stringValue,
  withLuaTree,
} from './lua-tree.ts';
import type { WantedBinding } from './options.ts';

interface Binding {
  item: ListItem;
  entry: LuaNode;
  action: LuaNode | undefined;
}

/**
 * In `text`, each wanted binding exactly once, compared as WezTerm compares them: one binding of the
 * same keys with another action has its action replaced in place, extra ones are removed, a missing
 * one is appended in the file's own spelling. Throws when the file does not parse, sets no keys, or
 * builds them in a way asc cannot follow (with the lines to add by hand).
 */
export async function planKeys(
  text: string,
  file: string,
  wanted: readonly WantedBinding[],
): Promise<LuaPlan> {
  if (wanted.length === 0) return { text, changes: [], found: [] };
  // Fixes in place come first, appends in a second round on the fixed text, so that an append never
  // lands on a line that a removal takes away.
  const first = await withLuaTree(text, file, (root) => planRound(text, root, file, wanted));
  if (first.text === text || first.changes.length === 0) return first;
  const second = await withLuaTree(first.text, file, (root) => planRound(first.text, root, file, wanted));
  return { text: second.text, changes: [...first.changes, ...second.changes], found: second.found };
}

function planRound(text: string, root: LuaNode, file: string, wanted: readonly WantedBinding[]): LuaPlan {
  const names = actionNames(root);
  const setting = findListSetting(root, file, 'keys', exampleKeys(wanted));
  const style = detectStyle(text, root, setting.table);
  const spelling = preferredSpelling(root, names, style.quote);
  const { bindings, unknown } = readBindings(setting);
  const splices: Splice[] = [];
  const changes: string[] = [];
  const found: string[] = [];
  const missing: WantedBinding[] = [];
  const cannot: WantedBinding[] = [];
  for (const want of wanted) {
    const id = comboId(want.combo);
    const same = bindings.filter((binding) => comboId(bindingCombo(binding)) === id);
    if (same.length === 0) {
      const blocked = unknown.some((entry) => couldBe(want.combo, entry.key, entry.mods));
      (blocked || !setting.table ? cannot : missing).push(want);
      continue;
    }
    const keep = same.find((binding) => sameAction(readBinding(binding, names), want.action)) ?? same[0]!;
    if (sameAction(readBinding(keep, names), want.action)) {
      found.push(`${want.label} → ${describeAction(want.action)} (line ${lineOf(keep.entry)})`);
    } else {
      splices.push(...fixAction(text, keep, want, names, spelling, style));
      const was = keep.action ? compactText(keep.action.text) : 'no action';
      changes.push(`${want.label}: ${was} → ${describeAction(want.action)} (line ${lineOf(keep.entry)})`);
    }
    for (const extra of same.filter((binding) => binding !== keep)) {
      splices.push(removeBinding(text, setting, extra));
      changes.push(`${want.label}: another binding of the same keys removed (line ${lineOf(extra.entry)})`);
    }
  }
  if (cannot.length > 0) throw cannotFollow(file, setting, cannot, spelling, style);
  if (splices.length === 0 && missing.length > 0 && setting.table) {
    const sample = bindings.findLast((binding) => binding.item.statement === undefined)?.entry;
    const render = missing.map((want) => renderBinding(want, spelling, style, sample, text));
    splices.push(...appendItems(text, setting.table, style, render));
    for (const want of missing) {
      changes.push(
        `${want.label} → ${describeAction(want.action)} added (keys at line ${lineOf(setting.table)})`,
      );
    }
  }
  return { text: applySplices(text, splices), changes, found };
}

/**
 * Make a binding's action the wanted one. The same action with another argument gets only that
 * argument's value changed (`DomainName`, `flags`), so its spelling and other fields stay; another
 * action is replaced whole, in its own spelling.
 */
function fixAction(
  text: string,
  binding: Binding,
  want: WantedBinding,
  names: ActionNames,
  spelling: Spelling,
  style: LuaStyle,
): Splice[] {
  const look = tableLayout(text, binding.entry, style);
  const read = binding.action ? readAction(binding.action, names) : undefined;
  if (read?.name === want.action.name && read.arg?.type === 'table_constructor') {
    const [name, wantedValue] = actionField(want.action);
    const fields = fieldsNamed(read.arg, name);
    if (fields.length === 0) {
      return appendItems(text, read.arg, style, [fieldItem(name, luaString(wantedValue, style.quote))]);
    }
    return fields.flatMap((field) => {
      const current = fieldValue(field);
      if (!current) return [];
      const quote = current.text.startsWith("'") ? "'" : current.text.startsWith('"') ? '"' : style.quote;
      return [replaceNode(current, luaString(wantedValue, quote))];
    });
  }
  const rendered = renderAction(want.action, read?.spelling ?? spelling, style.quote, look);
  if (binding.action) return [replaceNode(binding.action, rendered)];
  return appendItems(text, binding.entry, style, [fieldItem('action', rendered)]);
}

function readBinding(binding: Binding, names: ActionNames) {
  return binding.action ? readAction(binding.action, names) : undefined;
}

function bindingCombo(binding: Binding) {
  return normalizeBinding(
    stringValue(lastFieldValue(binding.entry, 'key')) ?? '',
    stringValue(lastFieldValue(binding.entry, 'mods')) ?? '',
  );
}

/** The bindings asc can read, and what it cannot: with the key or the mods it could read, if any. */
function readBindings(setting: ListSetting): {
  bindings: Binding[];
  unknown: { key: string | undefined; mods: string | undefined }[];
} {
  const bindings: Binding[] = [];
  const unknown: { key: string | undefined; mods: string | undefined }[] = setting.unknown.map(() => ({
    key: undefined,
    mods: undefined,
  }));
  for (const item of setting.items) {
    const entry = itemTable(item);
    const keyNode = lastFieldValue(entry, 'key');
    const modsNode = lastFieldValue(entry, 'mods');
    if (!keyNode) continue; // not a key binding: WezTerm would refuse it; not ours to judge
    const key = stringValue(keyNode);
    const mods = modsNode ? stringValue(modsNode) : '';
    if (key === undefined || mods === undefined) unknown.push({ key, mods });
    else bindings.push({ item, entry, action: lastFieldValue(entry, 'action') });
  }
  return { bindings, unknown };
}

function removeBinding(text: string, setting: ListSetting, binding: Binding): Splice {
  if (binding.item.statement) return removeStatement(text, binding.item.statement);
  return removeItem(text, setting.table!, binding.item.node);
}

const INLINE = { multiline: false, padded: true, spacedEquals: true, separator: ',', trailing: false };

/** `{ key = "s", mods = "CMD", action = act.ShowLauncherArgs { flags = "FUZZY|DOMAINS" } }`. */
function bindingText(
  want: WantedBinding,
  spelling: Spelling,
  style: LuaStyle,
  layout: typeof INLINE,
  indent: string,
): string {
  const fields: [string, string][] = [
    ['key', luaString(want.key, style.quote)],
    ['mods', luaString(want.mods, style.quote)],
    ['action', renderAction(want.action, spelling, style.quote, layout)],
  ];
  return renderTable(fields, layout, indent, style);
}

/** A new binding laid out like `sample`, the last binding the table holds (inline when there is none). */
function renderBinding(
  want: WantedBinding,
  spelling: Spelling,
  style: LuaStyle,
  sample: LuaNode | undefined,
  text: string,
): RenderItem {
  return (indent) =>
    bindingText(want, spelling, style, sample ? tableLayout(text, sample, style) : INLINE, indent);
}

function cannotFollow(
  file: string,
  setting: ListSetting,
  wanted: readonly WantedBinding[],
  spelling: Spelling,
  style: LuaStyle,
): AscError {
  const entries = wanted.map((want) => bindingText(want, spelling, style, INLINE, ''));
  const why = setting.computed
    ? `its value is computed (\`${firstLine(setting.computed.text)}\`, line ${lineOf(setting.computed)})`
    : 'bindings are added to it in ways asc cannot read';
  const where = lineOf(setting.at);
  const lines =
    setting.table && !setting.computed
      ? entries.map((entry) => `  ${entry},`)
      : setting.ref
        ? entries.map((entry) => `  table.insert(${setting.ref}, ${entry})`)
        : entries.map((entry) => `  ${entry},`);
  const place =
    setting.table && !setting.computed
      ? `add these lines to the keys table at line ${lineOf(setting.table)} of ${file}`
      : setting.ref
        ? `add these lines after line ${setting.at.endPosition.row + 1} of ${file}`
        : `add these bindings to the table that \`keys = …\` at line ${where} of ${file} builds`;
  return new AscError(
    `asc cannot follow the keys set at ${file}:${where}: ${why}, so it cannot tell whether ${wanted.map((want) => want.label).join(', ')} ${wanted.length > 1 ? 'are' : 'is'} bound already`,
    {
      code: 'E_REFUSED',
      hint: `${place}, and remove any other binding of these keys:\n${lines.join('\n')}\nasc then finds them; or set \`plugins.wezterm.keys: false\` to manage key bindings yourself`,
    },
  );
}

function exampleKeys(wanted: readonly WantedBinding[]): string {
  const style: LuaStyle = { quote: '"', indentUnit: '  ', eol: '\n' };
  const spelling: Spelling = { kind: 'member', prefix: 'wezterm.action', paren: false, gap: ' ' };
  const lines = wanted.map((want) => `    ${bindingText(want, spelling, style, INLINE, '')},`);
  return `  config.keys = {\n${lines.join('\n')}\n  }`;
}

function compactText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 50 ? `${line.slice(0, 50)}…` : line;
}
