/** Small text helpers for messages: what a command said, cut to what explains it. */

/** The first line of a text (a message's headline). */
export function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** The last non-empty line of a command's output (usually the error). */
export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** The last lines of a command's output, enough to say why it failed. */
export function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Every line indented by `prefix`; with `rest`, all but the first (a message's continuation lines). */
export function indent(text: string, prefix = '  ', options: { rest?: boolean } = {}): string {
  return text
    .split('\n')
    .map((line, index) => (options.rest && index === 0 ? line : `${prefix}${line}`))
    .join('\n');
}

/** Exit codes 0–255: pass as `okCodes` when the caller reads the exit code itself. */
export const ALL_EXIT_CODES: readonly number[] = Array.from({ length: 256 }, (_, code) => code);
