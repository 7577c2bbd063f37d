import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import {
  type EditContext,
  formatPath,
  isRecord,
  type YamlEdit,
  YamlEditError,
  type YamlPath,
} from './yaml-edit-context.ts';

// What an edit must leave: the document read as Lima reads it, with exactly that edit applied to its value;
// and the check that the edited text reads so.

/** Lima reads lima.yaml with goccy/go-yaml (pkg/limayaml), which applies `<<` merge keys; so do we. */
export function parseYaml(src: string): Document.Parsed {
  return parseDocument(src, { keepSourceTokens: true, merge: true });
}

/** Parse the edited text and throw unless it reads as `want`, the old value with exactly the edit applied. */
export function verifyEdit(c: EditContext, out: string, want: unknown): void {
  const after = parseYaml(out);
  const got = after.errors.length === 0 ? copyPlain(after.toJS()) : undefined;
  if (!isDeepStrictEqual(got, want)) throw layoutError(c, after);
}

/** Why the edited text does not read as wanted; a kept tag is the usual reason. */
function layoutError(c: EditContext, after: Document.Parsed): YamlEditError {
  const { op, path } = c.edit;
  const where = formatPath(path);
  const parseError = after.errors[0]?.message;
  const node = findNode(after, path);
  const reads = JSON.stringify(isNode(node) ? node.toJS(after) : node);
  const old = findNode(c.doc, path);
  if (!parseError && op === 'set' && isNode(old) && old.tag) {
    const tag = old.tag.replace(/^tag:yaml\.org,2002:/, '!!');
    return new YamlEditError(
      `cannot set ${where} to ${JSON.stringify(c.edit.value)}: it is tagged ${tag}, and asc keeps tags, so it ` +
        `would read as ${reads}; remove the tag or edit it by hand`,
    );
  }
  const why = parseError ? `the result would not parse (${parseError})` : `${where} would read as ${reads}`;
  return new YamlEditError(`cannot ${op} ${where} in this file's layout: ${why}; edit it by hand`);
}

/** The wanted value: `value` with the edit applied below path[at]. Throws for a path that cannot exist. */
export function applyToValue(value: unknown, edit: YamlEdit, at: number): unknown {
  const { path } = edit;
  if (at === path.length) {
    if (edit.op === 'set') return edit.value;
    if (edit.op === 'delete') return DELETED;
    if (value == null) return [edit.value];
    if (!Array.isArray(value))
      throw new YamlEditError(`cannot append to ${formatPath(path)}: it is not a sequence`);
    return value.some((item) => isDeepStrictEqual(item, edit.value)) ? value : [...value, edit.value];
  }
  const seg = path[at]!;
  if (Array.isArray(value)) {
    if (!isIndex(value, seg)) {
      if (edit.op === 'delete') return value;
      throw new YamlEditError(
        `cannot edit ${formatPath(path)}: ${formatPath(path.slice(0, at))} has no item ${String(seg)}`,
      );
    }
    const inner = applyToValue(value[seg], edit, at + 1);
    const copy = [...value];
    if (inner === DELETED) copy.splice(seg, 1);
    else copy[seg] = inner;
    return copy;
  }
  if (value == null && edit.op === 'delete') return value;
  if (value != null && !isRecord(value)) {
    throw new YamlEditError(
      `cannot edit ${formatPath(path)}: ${formatPath(path.slice(0, at))} is not a mapping`,
    );
  }
  const copy: Record<string, unknown> = { ...value };
  const key = String(seg);
  const has = Object.hasOwn(copy, key);
  if (!has && edit.op === 'delete') return copy;
  const inner = applyToValue(has ? copy[key] : undefined, edit, at + 1);
  if (inner === DELETED) delete copy[key];
  else
    Object.defineProperty(copy, key, { value: inner, enumerable: true, writable: true, configurable: true });
  return copy;
}
const DELETED = Symbol('deleted');

/** The node at a path in a parsed document, or undefined. */
function findNode(doc: Document.Parsed, path: YamlPath): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node))
      node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node;
}

function isIndex(list: unknown[], seg: string | number): seg is number {
  return typeof seg === 'number' && Number.isInteger(seg) && seg >= 0 && seg < list.length;
}

/** A deep copy that does not share objects, so an alias's copy can differ from its anchor's. */
export function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain);
  if (!isRecord(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(copy, k, {
      value: copyPlain(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
