import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import type { ParseError } from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { decodeUtf8 } from '../context/files.ts';
import { AscError } from '../errors.ts';
import { firstLine } from '../text.ts';

/** A config file as found on disk, before validation. */
export interface LoadedConfig {
  /** Absolute path, or undefined when no file exists anywhere (built-in defaults). */
  file: string | undefined;
  /** The folder user tasks run in. */
  dir: string;
  /** The parsed value, not yet validated. */
  raw: unknown;
  /** The text, for YAML and JSON files: error messages point at lines in it. */
  source: string | undefined;
  /** Where the config sits inside the source (`['asc']` in package.json). */
  sourcePath: readonly string[];
}

const SEARCH_PLACES = [
  'package.json',
  '.ascrc',
  '.ascrc.yaml',
  '.ascrc.yml',
  '.ascrc.json',
  '.ascrc.mjs',
  '.ascrc.js',
  '.ascrc.ts',
  '.config/ascrc.yaml',
  '.config/ascrc.yml',
  '.config/ascrc.json',
  'asc.config.mjs',
  'asc.config.js',
  'asc.config.ts',
];

/**
 * Find the config: `--config PATH`, else cosmiconfig's search from `cwd` up to the home folder, else the
 * global `~/.config/asc/config.yaml` ($XDG_CONFIG_HOME respected). cosmiconfig's own global folder is
 * `~/Library/Preferences/asc` on macOS (env-paths), which is not where users look, hence the extra step.
 */
export async function findConfig(options: {
  cwd: string;
  home: string;
  explicit?: string;
  env: NodeJS.ProcessEnv;
}): Promise<LoadedConfig> {
  // cosmiconfig() itself reads package.json and .config/config.* of the current folder (its "meta config").
  const explorer = await guarded(options.cwd, async () =>
    cosmiconfig('asc', {
      searchPlaces: SEARCH_PLACES,
      searchStrategy: 'global',
      stopDir: options.home,
      ignoreEmptySearchPlaces: false,
      cache: false,
      loaders: { '.yaml': loadYaml, '.yml': loadYaml, noExt: loadYaml, '.json': loadJson, '.ts': loadTs },
    }),
  );
  if (options.explicit !== undefined) {
    const file = path.resolve(options.cwd, options.explicit);
    if (!(await exists(file))) {
      throw new AscError(`config file not found: ${file} (given with --config)`, {
        code: 'E_CONFIG_NOT_FOUND',
        hint: 'check the path, or run `asc init` to write a starter .ascrc.yaml',
      });
    }
    return toLoaded(file, (await guarded(file, () => explorer.load(file)))?.config);
  }
  const found = await guarded(options.cwd, () => explorer.search(options.cwd));
  if (found) return toLoaded(found.filepath, found.config);
  const configHome = options.env.XDG_CONFIG_HOME || path.join(options.home, '.config');
  for (const name of ['config.yaml', 'config.yml', 'config.json']) {
    const file = path.join(configHome, 'asc', name);
    if (await exists(file)) return toLoaded(file, (await guarded(file, () => explorer.load(file)))?.config);
  }
  return { file: undefined, dir: options.cwd, raw: undefined, source: undefined, sourcePath: [] };
}

/** A config module that throws, or does not parse, is a configuration error (exit 2), not a crash. */
async function guarded<T>(where: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof AscError) throw error;
    const file = (error as { filepath?: string }).filepath ?? where;
    // cosmiconfig's meta config is read with its own loaders: a JSON or YAML error there reads as ours.
    const ours = /\.json$/.test(file) ? loadJson : /\.ya?ml$/.test(file) ? loadYaml : undefined;
    const text = ours && (await readFile(file, 'utf8').catch(() => undefined));
    if (ours && text !== undefined) await ours(file, text);
    throw new AscError(
      `${file}: could not load the config: ${firstLine((error as Error).message ?? String(error))}`,
      {
        code: 'E_CONFIG_SYNTAX',
        hint: 'fix the file (run it with `node <file>` to see the whole error); nothing was changed',
        cause: error,
      },
    );
  }
}

async function toLoaded(file: string, raw: unknown): Promise<LoadedConfig> {
  const isPackageJson = path.basename(file) === 'package.json';
  const text = /\.(ya?ml|json)$|\/\.ascrc$/.test(file) ? await readFile(file, 'utf8') : undefined;
  return {
    file,
    dir: path.dirname(file),
    raw: raw ?? {},
    source: text,
    sourcePath: isPackageJson ? ['asc'] : [],
  };
}

/** `file:line:col` of the value (or of the key, for an unknown key) at `keyPath` in a YAML/JSON source. */
export function locate(
  loaded: Pick<LoadedConfig, 'file' | 'source' | 'sourcePath'>,
  keyPath: readonly (string | number)[],
  unknownKey?: string,
): string {
  const file = loaded.file ?? '(defaults)';
  if (loaded.source === undefined) return file;
  const lineCounter = new LineCounter();
  const doc = parseDocument(loaded.source, { lineCounter, uniqueKeys: false });
  let node: Node | null | undefined = doc.contents;
  let found: Node | null | undefined = node;
  for (const key of [...loaded.sourcePath, ...keyPath]) {
    node = childOf(node, key, false);
    if (!node) break;
    found = node;
  }
  if (node && unknownKey !== undefined) found = childOf(node, unknownKey, true) ?? node;
  const offset = found?.range?.[0];
  if (offset === undefined) return file;
  const { line, col } = lineCounter.linePos(offset);
  return `${file}:${line}:${col}`;
}

function childOf(node: Node | null | undefined, key: string | number, wantKey: boolean): Node | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(key)) return (wantKey ? pair.key : pair.value) as Node | undefined;
    }
  } else if (isSeq(node) && typeof key === 'number') {
    return node.items[key] as Node | undefined;
  }
  return undefined;
}

/**
 * cosmiconfig hands loaders text decoded as Node's 'utf8' does, with U+FFFD for bytes that are not
 * UTF-8: read the bytes again and refuse those, naming the line and column.
 */
async function strictText(filepath: string): Promise<string> {
  return decodeUtf8(await readFile(filepath), filepath, 'E_CONFIG_SYNTAX');
}

const loadYaml: Loader = async (filepath) => {
  const content = await strictText(filepath);
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new AscError(`${filepath}:${line}:${col}: YAML syntax error: ${firstLine(first.message)}`, {
      code: 'E_CONFIG_SYNTAX',
      hint: 'fix the file; nothing was changed',
    });
  }
  return doc.toJS() ?? {};
};

const loadJson: Loader = async (filepath) => {
  const content = await strictText(filepath);
  try {
    return JSON.parse(content);
  } catch (error) {
    // V8 gives a position for some errors only, and quotes the whole text in others: the position comes
    // from jsonc-parser, the words from V8 without the quote.
    const { parse } = await import('jsonc-parser');
    const errors: ParseError[] = [];
    parse(content, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const at = errors[0] ? `:${linePos(content, errors[0].offset)}` : '';
    const why = (error as Error).message
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '');
    throw new AscError(`${filepath}${at}: JSON syntax error: ${why}`, {
      code: 'E_CONFIG_SYNTAX',
      hint: 'fix the file (JSON allows no comments and no trailing commas); nothing was changed',
    });
  }
};

/** `line:col` (1-based) of a string offset. */
function linePos(text: string, offset: number): string {
  const lines = text.slice(0, offset).split('\n');
  return `${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
}

/** cosmiconfig transpiles .ts with the `typescript` package, which is an optional peer of asc. */
const loadTs: Loader = async (filepath, content) => {
  try {
    return await defaultLoaders['.ts'](filepath, content);
  } catch (error) {
    if (
      /typescript/.test(String((error as Error).message)) &&
      /Cannot find|ERR_MODULE_NOT_FOUND/.test(String(error))
    ) {
      throw new AscError(`${filepath}: loading a TypeScript config needs the "typescript" package`, {
        code: 'E_CONFIG_SYNTAX',
        hint: 'install typescript where asc can load it (`npm install --save-dev typescript` beside a project-local ascalon, `npm install -g typescript` for a global one), or use asc.config.mjs or .ascrc.yaml',
        cause: error,
      });
    }
    throw new AscError(`${filepath}: ${(error as Error).message}`, { code: 'E_CONFIG_SYNTAX', cause: error });
  }
};

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
