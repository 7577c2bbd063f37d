/** A duration as users write it: `30s`, `10m`, `500ms`, `1h`. */
export const DURATION = /^(\d+)(ms|s|m|h)$/;

/** `30s`, `10m`, `500ms`, `1h` → milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
