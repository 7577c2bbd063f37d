import { isTerminal, writeErr, writeOut } from '../core/stdio.ts';

/** Global flags every command takes. */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  /** false with `--no-cache`: the config is searched, parsed and validated, the cache neither read nor written. */
  cache?: boolean;
}

/** Where a command's words go: with --json, stdout carries only the JSON document and the rest goes to stderr. */
export interface CommandIo {
  json: boolean;
  /** Human output: stdout normally, stderr under --json. */
  out(line: string): void;
  /** Notes and errors: always stderr. */
  err(line: string): void;
  /** The JSON document: stdout. */
  document(text: string): void;
  color: (style: 'green' | 'yellow' | 'red' | 'dim' | 'bold', text: string) => string;
  stdoutIsTTY: boolean;
  /** A terminal wide enough to draw the tree in; a narrower one (a width of 0) gets plain lines. */
  treeFits: boolean;
}

/** Narrower than this, listr2 wraps the tree's rows a character or two a line. */
const TREE_MIN_COLUMNS = 20;

export function createIo(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CommandIo {
  const json = options.json === true;
  let terminal: boolean | undefined;
  const stdoutIsTTY = () => (terminal ??= isTerminal(1));
  const colorOn = () => options.color !== false && !env.NO_COLOR && !json && stdoutIsTTY();
  return {
    json,
    // Straight to the descriptors: no stream is built for a line of text (src/core/stdio.ts).
    out: (line) => (json ? writeErr : writeOut)(`${line}\n`),
    err: (line) => writeErr(`${line}\n`),
    document: (text) => writeOut(`${text}\n`),
    // node:util's CommonJS object, not `import from 'node:util'`: an ES import of a built-in makes every
    // lazy export of it load (parseArgs and more), on every start.
    color: (style, text) => (colorOn() ? process.getBuiltinModule('node:util').styleText(style, text) : text),
    get stdoutIsTTY() {
      return stdoutIsTTY();
    },
    get treeFits() {
      return stdoutIsTTY() && (process.stdout.columns ?? 80) >= TREE_MIN_COLUMNS;
    },
  };
}
