import { lstat, open, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultLoaders, type Loader } from 'cosmiconfig';
import { Explorer } from 'cosmiconfig/dist/Explorer.js';
import type { ParseError } from 'jsonc-parser';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { decodeUtf8, describeErrno, quotePath } from '../context/files.ts';
import { AscError } from '../errors.ts';
import { firstLine } from '../text.ts';
import { globalConfigFiles, SEARCH_PLACES, searchedDirs } from './places.ts';

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
  // cosmiconfig's Explorer, not its cosmiconfig() factory: the factory first looks for a "meta config" in
  // the current folder (package.json's `cosmiconfig` key, .config/config.{json,yaml,js,ts,…}) and runs a
  // JavaScript one, on every command, with no option to turn that off (cosmiconfig#296). asc runs no
  // code but the config file it finds, and lets no file change where it looks.
  const explorer = new Explorer({
    moduleName: 'asc',
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'global',
    stopDir: options.home,
    ignoreEmptySearchPlaces: false,
    cache: false,
    transform: (result) => result,
    metaConfigFilePath: null,
    mergeImportArrays: true,
    mergeSearchPlaces: false,
    loaders: {
      ...defaultLoaders,
      '.yaml': loadYaml,
      '.yml': loadYaml,
      noExt: loadYaml,
      '.json': loadJson,
      '.ts': loadTs,
      '.mjs': loadJs,
      '.cjs': loadJs,
      '.js': loadJs,
    },
  });
  if (options.explicit !== undefined) {
    const file = path.resolve(options.cwd, options.explicit);
    if (!(await readableConfig(file))) {
      throw new AscError(`config file not found: ${quotePath(file)} (given with --config)`, {
        code: 'E_CONFIG_NOT_FOUND',
        hint: 'check the path, or run `asc init` to write a starter .ascrc.yaml',
      });
    }
    return toLoaded(file, (await guarded(file, () => explorer.load(file)))?.config);
  }
  const found = await guarded(options.cwd, () => explorer.search(options.cwd));
  // cosmiconfig passes over a search place that is a folder or unreadable as if it were not there: a
  // config that asc cannot read must be an error, not a silent fallback to another config or the defaults.
  for (const file of searchedBefore(options.cwd, options.home, found?.filepath)) await readableConfig(file);
  if (found) return toLoaded(found.filepath, found.config);
  for (const file of globalConfigFiles(options.home, options.env)) {
    if (await readableConfig(file)) {
      return toLoaded(file, (await guarded(file, () => explorer.load(file)))?.config);
    }
  }
  return { file: undefined, dir: options.cwd, raw: undefined, source: undefined, sourcePath: [] };
}

/** The search places cosmiconfig tried before it found `found`: from `cwd` up to `home` (or `/`). */
function* searchedBefore(cwd: string, home: string, found: string | undefined): Generator<string> {
  for (const dir of searchedDirs(cwd, home)) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place);
      if (file === found) return;
      yield file;
    }
  }
}

/**
 * True for a config file asc can read, false when there is none; a folder, a link loop, a link to
 * nothing or a file asc may not read is an error naming it. A path behind a folder asc may not search
 * counts as none: asc cannot tell whether it is there.
 */
async function readableConfig(file: string): Promise<boolean> {
  try {
    if ((await stat(file)).isDirectory()) {
      throw Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR', path: file });
    }
    await (await open(file, 'r')).close();
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const link = code === 'ENOENT' ? await readlink(file).catch(() => undefined) : undefined;
    if (link !== undefined) {
      throw new AscError(
        `${quotePath(file)}: could not read the config: a symbolic link to ${link}, which does not exist`,
        {
          code: 'E_CONFIG_UNREADABLE',
          hint: 'point the link at your config file, or remove it; nothing was changed',
        },
      );
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    const seen = await lstat(file).then(
      () => true,
      () => false,
    );
    if (code === 'EACCES' && !seen) return false;
    throw unreadableConfig(file, error);
  }
}

function unreadableConfig(file: string, error: unknown): AscError {
  const known = describeErrno(error);
  return new AscError(
    `${quotePath(file)}: could not read the config: ${known?.what ?? (error as Error).message}`,
    {
      code: 'E_CONFIG_UNREADABLE',
      hint: `${known?.hint ?? 'check the file'}; nothing was changed`,
      cause: error,
    },
  );
}

/** A config module that throws, or does not parse, is a configuration error (exit 2), not a crash. */
async function guarded<T>(where: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof AscError) throw error;
    // A link loop on the way (cosmiconfig passes over folders and unreadable files, not ELOOP).
    const errnoPath = (error as NodeJS.ErrnoException).path;
    if (describeErrno(error) && errnoPath) throw unreadableConfig(errnoPath, error);
    const file = (error as { filepath?: string }).filepath ?? where;
    // A loader's own error (not an AscError): a JSON or YAML file says it in asc's words, with its line.
    const ours = /\.json$/.test(file) ? loadJson : /\.ya?ml$/.test(file) ? loadYaml : undefined;
    const text = ours && (await readFile(file, 'utf8').catch(() => undefined));
    if (ours && text !== undefined) await ours(file, text);
    throw new AscError(
      `${quotePath(file)}: could not load the config: ${firstLine((error as Error).message ?? String(error))}`,
      {
        code: 'E_CONFIG_SYNTAX',
        hint: /\.[cm]?[jt]s$/.test(file)
          ? 'fix the file (run it with `node <file>` to see the whole error); nothing was changed'
          : 'fix the file; nothing was changed',
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
  const file = loaded.file === undefined ? '(defaults)' : quotePath(loaded.file);
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
    throw new AscError(
      `${quotePath(filepath)}:${line}:${col}: YAML syntax error: ${firstLine(first.message)}`,
      {
        code: 'E_CONFIG_SYNTAX',
        hint: 'fix the file; nothing was changed',
      },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (error) {
    // yaml refuses to expand aliases past maxAliasCount (100): a "billion laughs" file.
    throw new AscError(
      `${quotePath(filepath)}: could not read the YAML: ${firstLine((error as Error).message)}`,
      {
        code: 'E_CONFIG_SYNTAX',
        hint: 'fix the file; nothing was changed',
      },
    );
  }
  return refuseImport(filepath, content, value);
};

/**
 * cosmiconfig merges in the files a config names under `$import`, and when one is missing it passes over
 * the whole config as if there were none. asc reads one file: `$import` is an unknown key, as any other.
 */
function refuseImport(filepath: string, content: string, value: unknown): unknown {
  const sourcePath = path.basename(filepath) === 'package.json' ? ['asc'] : [];
  const config = sourcePath.length ? (value as Record<string, unknown> | null)?.asc : value;
  if (config !== null && typeof config === 'object' && Object.hasOwn(config, '$import')) {
    throw new AscError(
      `${locate({ file: filepath, source: content, sourcePath }, [], '$import')}: $import: unknown key`,
      {
        code: 'E_CONFIG_INVALID',
        hint: "asc reads one config file and not cosmiconfig's $import: move what it imports into this file; nothing was changed",
      },
    );
  }
  return value;
}

const loadJson: Loader = async (filepath) => {
  const content = await strictText(filepath);
  try {
    return refuseImport(filepath, content, JSON.parse(content));
  } catch (error) {
    if (error instanceof AscError) throw error;
    // V8 gives a position for some errors only, and quotes the whole text in others: the position comes
    // from jsonc-parser, the words from V8 without the quote.
    const { parse } = await import('jsonc-parser');
    const errors: ParseError[] = [];
    parse(content, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const at = errors[0] ? `:${linePos(content, errors[0].offset)}` : '';
    const why = (error as Error).message
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '');
    throw new AscError(`${quotePath(filepath)}${at}: JSON syntax error: ${why}`, {
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

/**
 * A JavaScript config, imported once. cosmiconfig's own loader, when the import throws, runs the module a
 * second time through require(), which on Node 22.12+ loads an ES module too, with an ExperimentalWarning
 * on stderr: a config that throws would run twice, and its error would come with the warning.
 */
const loadJs: Loader = async (filepath) =>
  ((await import(pathToFileURL(await realpath(filepath)).href)) as { default?: unknown }).default;

/** cosmiconfig transpiles .ts with the `typescript` package, which is an optional peer of asc. */
const loadTs: Loader = async (filepath, content) => {
  try {
    return await defaultLoaders['.ts'](filepath, content);
  } catch (error) {
    if (
      /typescript/.test(String((error as Error).message)) &&
      /Cannot find|ERR_MODULE_NOT_FOUND/.test(String(error))
    ) {
      throw new AscError(
        `${quotePath(filepath)}: loading a TypeScript config needs the "typescript" package`,
        {
          code: 'E_CONFIG_SYNTAX',
          hint: 'install typescript where asc can load it (`npm install --save-dev typescript` beside a project-local ascalon, `npm install -g typescript` for a global one), or use asc.config.mjs or .ascrc.yaml',
          cause: error,
        },
      );
    }
    throw new AscError(`${quotePath(filepath)}: ${(error as Error).message}`, {
      code: 'E_CONFIG_SYNTAX',
      cause: error,
    });
  }
};
