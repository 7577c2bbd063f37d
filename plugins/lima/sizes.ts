/**
 * Sizes as Lima reads them (go-units RAMInBytes): binary units whatever the spelling, so `12G`, `12GB`
 * and `12GiB` are all 12884901888 bytes (docker/go-units RAMInBytes). Returns undefined for junk.
 */
export function parseSize(text: string | number | null | undefined): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) return undefined;
  const power = ['', 'k', 'm', 'g', 't', 'p'].indexOf((match[2] ?? '').toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** power);
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

export const SIZE_PATTERN = /^\s*\d+(?:\.\d+)?\s*[kmgtpKMGTP]?(?:i?[bB])?\s*$/;
