import { type Document, isScalar, type YAMLMap, type YAMLSeq } from 'yaml';

/** Mapping keys and sequence indexes leading from the document root to a node. */
export type YamlPath = readonly (string | number)[];

/** One edit: set a mapping value, append a sequence item (unless an equal one is there), delete a key / item. */
export type YamlEdit =
  | { op: 'set'; path: YamlPath; value: unknown }
  | { op: 'append'; path: YamlPath; value: unknown }
  | { op: 'delete'; path: YamlPath };

/** Thrown when the source does not parse or a path cannot be edited; the message names the path. */
export class YamlEditError extends Error {
  override name = 'YamlEditError';
}

export type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

/** One edit being made: the source, its parsed document, and the file's own layout. */
export interface EditContext {
  src: string;
  doc: Document.Parsed;
  edit: YamlEdit;
  eol: string;
  /** Columns a nested mapping is indented by, and a `-` under a key (0 for Lima's `key:\n- item`). */
  indent: number;
  seqIndent: number;
  /** Nodes that an alias (`*name`, including `<<: *name`) refers to, with those aliases. */
  shared: Map<unknown, unknown[]>;
}

export function isNullish(node: unknown): boolean {
  return node == null || (isScalar(node) && node.value == null);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function splice(c: EditContext, start: number, end: number, text: string): string {
  return c.src.slice(0, start) + text + c.src.slice(end);
}

export function formatPath(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i > 0 ? `.${s}` : s)).join('') || '(root)';
}
