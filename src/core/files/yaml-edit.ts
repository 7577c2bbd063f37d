import { isDeepStrictEqual } from 'node:util';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  appendBlockItem,
  insertBlockEntry,
  removeBlockEntry,
  replaceEmptyRoot,
  replaceItem,
  replaceValue,
} from './yaml-block-edits.ts';
import {
  type Collection,
  type EditContext,
  formatPath,
  isNullish,
  type YamlEdit,
  YamlEditError,
  type YamlPath,
} from './yaml-edit-context.ts';
import { appendFlowItem, insertFlowEntry, removeFlow, replaceFlowEntry } from './yaml-flow-edits.ts';
import {
  assertAnchorsUnshared,
  assertEditable,
  assertNotMergedIn,
  collectAliases,
  isMergeKey,
  sharedError,
} from './yaml-refusals.ts';
import { detectLayout } from './yaml-render.ts';
import { applyToValue, copyPlain, parseYaml, verifyEdit } from './yaml-verify.ts';

export { type YamlEdit, YamlEditError, type YamlPath } from './yaml-edit-context.ts';

/**
 * Apply edits in order, rewriting only the text that differs; returns the new source. Every edit is checked by
 * parsing the result: it must read as the old value with exactly that edit applied, or YamlEditError is thrown.
 */
export function editYaml(source: string, edits: readonly YamlEdit[]): string {
  // A byte-order mark is not part of the YAML text; keeping it out keeps columns right.
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  let text = source.slice(bom.length);
  for (const edit of edits) text = applyEdit(text, edit);
  return bom + text;
}

function applyEdit(src: string, asked: YamlEdit): string {
  // Compare values by content: an object made with Object.create(null) equals one made with {}.
  const edit: YamlEdit = asked.op === 'delete' ? asked : { ...asked, value: copyPlain(asked.value) };
  const doc = parseYaml(src);
  assertEditable(doc, edit);
  const before = copyPlain(doc.toJS());
  const want = applyToValue(before ?? {}, edit, 0);
  if (isDeepStrictEqual(want, before ?? {}) || (before === null && edit.op === 'delete')) return src;

  const c: EditContext = { src, doc, edit, shared: collectAliases(doc), ...detectLayout(doc, src) };
  const out = editSpans(c);
  verifyEdit(c, out, want);
  return out;
}

/** Walk the parsed document along the path and make the edit as a splice of the source text. */
function editSpans(c: EditContext): string {
  const { path, op } = c.edit;
  const value = op === 'append' ? [c.edit.value] : op === 'set' ? c.edit.value : undefined;
  let node: unknown = c.doc.contents;
  let parent: Collection | undefined;
  let entry: unknown;
  for (const [i, seg] of path.entries()) {
    const here = path.slice(0, i);
    if (isAlias(node)) throw sharedError(c, here, `is an alias of &${node.source}`);
    // A null on the way (or an empty document): write the rest of the path as new mappings.
    if (isNullish(node)) {
      const rest = nestValue(path.slice(i), value);
      return parent ? replaceEntry(c, parent, entry, rest) : replaceEmptyRoot(c, node, rest);
    }
    if (!isCollection(node)) throw new YamlEditError(`internal: ${formatPath(here)} is not a collection`);
    if (c.shared.has(node)) throw sharedError(c, here, `is anchored as &${node.anchor}`);
    // `key: {}` in a block mapping becomes a block mapping, the way the rest of the file is written.
    if (node.flow && node.items.length === 0 && parent && !parent.flow) {
      return replaceEntry(c, parent, entry, nestValue(path.slice(i), value));
    }
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isScalar(p.key) && !isMergeKey(p) && String(p.key.value) === String(seg),
      );
      assertNotMergedIn(c, node, i, pair);
      if (!pair) return insertEntry(c, node, seg, nestValue(path.slice(i + 1), value));
      [parent, entry, node] = [node, pair, pair.value];
    } else {
      [parent, entry, node] = [node, node.items[seg as number], node.items[seg as number]];
    }
  }
  if (!parent) throw new YamlEditError('internal: no parent');
  if (op === 'append' && isSeq(node) && !(node.flow && node.items.length === 0 && !parent.flow)) {
    if (c.shared.has(node)) throw sharedError(c, path, `is anchored as &${node.anchor}`);
    return appendItem(c, node, c.edit.value);
  }
  if (op === 'append' && isAlias(node)) throw sharedError(c, path, `is an alias of &${node.source}`);
  assertAnchorsUnshared(c, node);
  return op === 'delete' ? removeEntry(c, parent, entry) : replaceEntry(c, parent, entry, value);
}

// --- Each edit goes to the block or the flow form of its collection ----------------------------------------

function replaceEntry(c: EditContext, parent: Collection, entry: unknown, value: unknown): string {
  if (parent.flow) return replaceFlowEntry(c, parent, entry, value);
  return isPair(entry) ? replaceValue(c, entry, value) : replaceItem(c, parent, entry, value);
}

function insertEntry(c: EditContext, map: YAMLMap, key: string | number, value: unknown): string {
  return map.flow ? insertFlowEntry(c, map, key, value) : insertBlockEntry(c, map, key, value);
}

function appendItem(c: EditContext, seq: YAMLSeq, value: unknown): string {
  return seq.flow ? appendFlowItem(c, seq, value) : appendBlockItem(c, seq, value);
}

function removeEntry(c: EditContext, parent: Collection, entry: unknown): string {
  if (parent.flow) return removeFlow(c, parent, (parent.items as unknown[]).indexOf(entry));
  const setEmpty = (empty: object) =>
    applyEdit(c.src, { op: 'set', path: c.edit.path.slice(0, -1), value: empty });
  return removeBlockEntry(c, parent, entry, setEmpty);
}

function nestValue(path: YamlPath, value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}
