import { type Document, isAlias, isMap, isNode, isScalar, isSeq, type Pair, visit, type YAMLMap } from 'yaml';
import {
  type EditContext,
  formatPath,
  isNullish,
  isRecord,
  type YamlEdit,
  YamlEditError,
  type YamlPath,
} from './yaml-edit-context.ts';
import { rangeOf } from './yaml-positions.ts';

// What the editor refuses to edit, because the edit would not be the one asked for: a document it cannot
// address, a node other places share through an anchor, a key a merge key (`<<`) gives.

/** Refuse a source that does not parse, the root or a `<<` on the path, and a top level that is not a mapping. */
export function assertEditable(doc: Document.Parsed, edit: YamlEdit): void {
  const where = formatPath(edit.path);
  if (doc.errors.length > 0) {
    throw new YamlEditError(`cannot edit ${where}: the YAML does not parse: ${doc.errors[0]?.message}`);
  }
  if (edit.path.length === 0) throw new YamlEditError(`cannot ${edit.op} the document root`);
  if (edit.path.includes('<<'))
    throw new YamlEditError(`cannot ${edit.op} ${where}: merge keys (<<) are not edited`);
  const root = doc.contents;
  if (!isMap(root) && !isNullish(root)) {
    const kind = isSeq(root) ? 'a sequence' : isAlias(root) ? 'an alias' : 'a scalar';
    throw new YamlEditError(`cannot ${edit.op} ${where}: the document's top level is ${kind}, not a mapping`);
  }
}

/** Nodes that an alias (`*name`, including `<<: *name`) refers to, with those aliases. */
export function collectAliases(doc: Document.Parsed): Map<unknown, unknown[]> {
  const shared = new Map<unknown, unknown[]>();
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      shared.set(target, [...(shared.get(target) ?? []), alias]);
    },
  });
  return shared;
}

export function sharedError(c: EditContext, at: YamlPath, what: string): YamlEditError {
  return new YamlEditError(
    `cannot ${c.edit.op} ${formatPath(c.edit.path)}: ${formatPath(at)} ${what}; changing it would change every place ` +
      'that shares it, so edit it by hand',
  );
}

/** Replacing or deleting a node takes its anchors along: refuse when an alias elsewhere uses one. */
export function assertAnchorsUnshared(c: EditContext, node: unknown): void {
  const inside = new Set<unknown>();
  if (isNode(node)) visit(node, { Node: (_, n) => void inside.add(n) });
  for (const n of inside) {
    if ((c.shared.get(n) ?? []).some((alias) => !inside.has(alias))) {
      throw sharedError(
        c,
        c.edit.path,
        `holds &${(n as { anchor?: string }).anchor}, which an alias refers to`,
      );
    }
  }
}

export function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

/**
 * Refuse an edit at path[at] of a mapping that also gets that key from a merge key. Setting a key the mapping
 * only merges in overrides it here; anything else would need the merged node.
 */
export function assertNotMergedIn(c: EditContext, map: YAMLMap, at: number, pair: Pair | undefined): void {
  const { path, op } = c.edit;
  const seg = path[at]!;
  const here = path.slice(0, at);
  const last = at === path.length - 1;
  const merge = findMergeSource(c, map, String(seg));
  if (merge && pair && op === 'delete' && last) {
    throw new YamlEditError(
      `cannot delete ${formatPath(path)}: ${formatPath(here)} also gets ${String(seg)} from its merge key (<<: ${merge}), ` +
        'which would still give it a value; edit it by hand',
    );
  }
  if (merge && !pair && !(op === 'set' && last)) {
    throw new YamlEditError(
      `cannot ${op} ${formatPath(path)}: ${formatPath([...here, seg])} comes from the merge key (<<: ${merge}) of ` +
        `${formatPath(here)}, and changing it would change what is merged in; edit it by hand`,
    );
  }
}

/** The source of the merge key (`*base`, `[*a, *b]`) through which a mapping gets a key, if any. */
function findMergeSource(c: EditContext, map: YAMLMap, key: string): string | undefined {
  for (const pair of map.items.filter(isMergeKey)) {
    for (const from of isSeq(pair.value) ? pair.value.items : [pair.value]) {
      const source = isAlias(from) ? from.resolve(c.doc) : from;
      const js: unknown = isNode(source) ? source.toJS(c.doc) : undefined;
      if (isRecord(js) && Object.hasOwn(js, key)) {
        const [start, end] = rangeOf(pair.value);
        return c.src.slice(start, end);
      }
    }
  }
  return undefined;
}
