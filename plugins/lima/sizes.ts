/** A number as Go's strconv.ParseFloat reads it in base 10: a sign, digits with a point, an exponent. */
const GO_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Sizes as Lima reads them: go-units v0.5.0 RAMInBytes, binary units whatever the spelling, so `12G`,
 * `12GB` and `12GiB` are all 12884901888 bytes. The number ends at the last digit, point or space; one
 * space may stand before the unit, none after it, none before the number (`"12 GiB"` and `".5GiB"` are
 * sizes, `"12GiB "`, `"12  GiB"` and `" 12GiB"` are not). Bytes are truncated to a whole number, as Go's
 * int64() does. Returns undefined for what Lima rejects.
 */
export function parseSize(text: string | number | null | undefined): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const end = Math.max(...[...'0123456789. '].map((c) => text.lastIndexOf(c)));
  if (end === -1) return undefined;
  const number = text[end] === ' ' ? text.slice(0, end) : text.slice(0, end + 1);
  const suffix = text.slice(end + 1).toLowerCase();
  if (!GO_DECIMAL.test(number)) return undefined;
  const value = Math.abs(Number(number)) === 0 ? 0 : Number(number);
  if (value < 0) return undefined;
  if (suffix === '' || suffix === 'b') return Math.trunc(value);
  const power = 'kmgtp'.indexOf(suffix[0] ?? '') + 1;
  if (power === 0 || !['', 'b', 'ib'].includes(suffix.slice(1))) return undefined;
  return Math.trunc(value * 1024 ** power);
}

/** The larger of two sizes, as written (`b` when `a` is unset or unreadable). */
export function largerSize(a: string | undefined, b: string): string {
  const [x, y] = [parseSize(a), parseSize(b)];
  return x !== undefined && y !== undefined && x > y ? (a as string) : b;
}

/** `12GiB`, for messages. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value}${units[unit]}`;
}

/**
 * The sizes parseSize takes, as a pattern for the JSON schema (editors check it as you type). It admits
 * negative numbers, which go-units refuses after parsing, and no hexadecimal float (`0x1p3`), which it takes.
 */
export const SIZE_PATTERN =
  /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? ?(?:[kmgtpKMGTP](?:[iI]?[bB])?|[bB])?$/;
