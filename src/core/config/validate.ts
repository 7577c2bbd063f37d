import type { z } from 'zod';
import type { PluginSchema } from '../builtins.ts';
import { AscError } from '../errors.ts';
import { type LoadedConfig, locate } from './load.ts';
import { buildConfigSchema } from './schema.ts';

export type AscParsedConfig = z.output<ReturnType<typeof buildConfigSchema>>;

/** Validate a loaded config against the schema of the built-in plugins; throws one error listing every problem. */
export function validateConfig(loaded: LoadedConfig, builtins: readonly PluginSchema[]): AscParsedConfig {
  const result = buildConfigSchema(builtins).safeParse(loaded.raw ?? {});
  if (result.success) return result.data;
  throw configError(loaded, flattenIssues(result.error.issues, loaded.raw));
}

/** Validate an external plugin's options with its own schema (any zod-like `safeParse`). */
export function validatePluginOptions(
  loaded: LoadedConfig,
  key: string,
  schema: { safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: unknown[] } } },
  value: unknown,
): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = flattenIssues((result.error?.issues ?? []) as z.core.$ZodIssue[], value).map((issue) => ({
    ...issue,
    path: ['plugins', key, ...issue.path],
  }));
  throw configError(loaded, issues);
}

interface FlatIssue {
  path: (string | number)[];
  message: string;
  unknownKey?: string;
}

export function configError(loaded: LoadedConfig, issues: FlatIssue[]): AscError {
  const lines = issues.map((issue) => {
    const where = locate(loaded, issue.path, issue.unknownKey);
    const keyPath = formatPath(
      issue.unknownKey === undefined ? issue.path : [...issue.path, issue.unknownKey],
    );
    return `${where}: ${keyPath || '(top level)'}: ${issue.message}`;
  });
  return new AscError(`invalid configuration:\n  ${lines.join('\n  ')}`, {
    code: 'E_CONFIG_INVALID',
    hint: 'see docs/reference/config.md (or schema.json) for what each key allows; nothing was changed',
  });
}

/** `plugins.lima.mounts[0].location` */
export function formatPath(keyPath: readonly (string | number)[]): string {
  return keyPath
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      if (!/^[A-Za-z_$][\w$-]*$/.test(part)) return `[${JSON.stringify(part)}]`;
      return index === 0 ? part : `.${part}`;
    })
    .join('');
}

/**
 * zod reports a failed union as one "Invalid input"; the user wants the branch that matched the kind of
 * value they wrote (an object → the options object's own errors), with paths relative to the file.
 */
function flattenIssues(
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  prefix: (string | number)[] = [],
): FlatIssue[] {
  const flat: FlatIssue[] = [];
  for (const issue of issues) {
    const at = [...prefix, ...(issue.path as (string | number)[])];
    const value = valueAt(root, at);
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch =
        issue.errors.find(
          (branchIssues) => !branchIssues.some((b) => b.code === 'invalid_type' && b.path.length === 0),
        ) ?? issue.errors[0]!;
      flat.push(...flattenIssues(branch, root, at));
      continue;
    }
    // z.number().int() adds the safe-integer range: next to the option's own bound it only repeats it.
    if (isSafeIntegerBound(issue) && issues.some((other) => other !== issue && samePlace(other, issue))) {
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) flat.push({ path: at, unknownKey: key, message: 'unknown key' });
      continue;
    }
    flat.push({ path: at, message: describeIssue(issue, value) });
  }
  return flat;
}

function isSafeIntegerBound(issue: z.core.$ZodIssue): boolean {
  return (
    (issue.code === 'too_big' && Number(issue.maximum) === Number.MAX_SAFE_INTEGER) ||
    (issue.code === 'too_small' && Number(issue.minimum) === Number.MIN_SAFE_INTEGER)
  );
}

function samePlace(a: z.core.$ZodIssue, b: z.core.$ZodIssue): boolean {
  return (
    a.code === b.code && a.path.length === b.path.length && a.path.every((part, i) => part === b.path[i])
  );
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (typeof value === 'number' && !Number.isFinite(value)) {
        // YAML's .inf and .nan, or a number too large for a double (1e400): JSON would print null.
        return `expected a finite ${issue.expected}, got ${value}`;
      }
      return value === undefined
        ? `required (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${kindOf(value)} ${JSON.stringify(value)}`;
    case 'invalid_value':
      // A schema's own words (not zod's "Invalid input"/"Invalid option") say more than the list.
      if (!/^Invalid (input|option)\b/.test(issue.message))
        return `${issue.message}, got ${JSON.stringify(value)}`;
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
    case 'invalid_format':
      return `${issue.message}, got ${JSON.stringify(value)}`;
    case 'invalid_key':
      // A record key that fails its own rule ("Invalid key in record"): the rule's words, and the key.
      return `${issue.issues[0]?.message ?? 'not an allowed key'}, got key ${JSON.stringify(issue.path.at(-1))}`;
    case 'too_small':
    case 'too_big':
      return `${bound(issue)}, got ${JSON.stringify(value)}`;
    default:
      return value === undefined || typeof value === 'object'
        ? issue.message
        : `${issue.message}, got ${JSON.stringify(value)}`;
  }
}

/** zod's "Too small: expected number to be >=1" in asc's words: "must be at least 1". */
function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  const inclusive = issue.inclusive !== false;
  const unit =
    { string: ' characters', array: ' items', set: ' items', file: ' bytes' }[issue.origin as string] ?? '';
  if (issue.origin === 'string' && small && limit === 1) return 'must not be empty';
  if (issue.origin === 'array' && small && limit === 1) return 'must have at least one item';
  const relation = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  return `must be ${relation} ${limit}${unit}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(root: unknown, keyPath: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of keyPath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
