import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../../package.json' with { type: 'json' };
import { privateFolder } from '../private-folder.ts';
import type { LoadedConfig } from './load.ts';
import { candidateFiles } from './places.ts';
import type { AscParsedConfig } from './validate.ts';

/**
 * The config cache: a config file asc has found, read and validated once is not searched for with
 * cosmiconfig, parsed or validated again while nothing that decided it has changed (docs/decisions.md,
 * "A start-up that loads only what the command uses"). An entry holds the validated config and the
 * signature (inode, size, mtime, ctime, mode) of every file the search could have found or passed over; a
 * run that finds every signature the same, in an entry of the same asc build, uses it. Anything else (a
 * changed file, another asc version or build, an entry that does not parse, a folder asc cannot use) is a
 * miss: the run searches, parses and validates as without a cache, and writes a new entry.
 *
 * Each asc build has its own entry for a folder (`<folder>-<build>.json`): a global asc and a project's
 * own asc, run in turns in one project, each keep theirs instead of replacing the other's at every run.
 * A write prunes: a folder keeps the entries of its last BUILDS_PER_FOLDER builds to write one, and the
 * cache its last MAX_ENTRIES entries, the oldest written going first (a pruned entry is one slower run).
 *
 * Only a YAML or JSON config (package.json's `asc` key included) is cached: a JavaScript or TypeScript
 * config may import other files, whose changes no signature here would see.
 */
export interface ConfigCacheKey {
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** `--config PATH`, resolved. */
  explicit?: string;
}

export interface CachedConfig {
  loaded: LoadedConfig;
  parsed: AscParsedConfig;
}

/** How old a watched file's mtime must be before its config is cached. */
const RECENT_MS = 2000;

interface Entry extends CachedConfig {
  version: string;
  build: string;
  signatures: [string, string][];
}

/** A file's state as far as the config goes: its identity and times, or why it cannot be looked at. */
function signature(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? '-' : `!${code}`;
  }
}

/** The files whose signatures an entry holds. */
function watched(key: ConfigCacheKey): string[] {
  return key.explicit === undefined ? candidateFiles(key.cwd, key.home, key.env) : [key.explicit];
}

/** How many builds of asc keep an entry for one folder: a global and a project's own, and one more. */
const BUILDS_PER_FOLDER = 3;
/** How many entries the cache keeps; past it, the oldest written are removed down to PRUNED_TO. */
const MAX_ENTRIES = 256;
const PRUNED_TO = 192;

let ownBuild: string | undefined;
/** This build of asc: its version, and the module's own file (a rebuild in a checkout changes it). */
function build(): string {
  ownBuild ??= `${pkg.version}:${signature(fileURLToPath(import.meta.url))}`;
  return ownBuild;
}

/**
 * asc's cache folder in the temporary folder (as the compile cache's, decision 10): made private, and
 * used only while it is a folder of this user's that nobody else may write to.
 */
function cacheDir(): string | undefined {
  const dir = path.join(tmpdir(), `asc-config-cache-${process.getuid?.() ?? 'user'}`);
  return privateFolder(dir, true) ? dir : undefined;
}

/** The hash that starts the name of every entry for the key's folder, whichever asc build wrote it. */
function folderId(key: ConfigCacheKey): string {
  return fnv1a(
    JSON.stringify([
      key.cwd,
      key.home,
      key.explicit ?? null,
      key.env.XDG_CONFIG_HOME ?? null,
      process.platform,
    ]),
  );
}

/** `<folder>-<build>.json`: one entry per folder and asc build. */
function entryName(folder: string): string {
  return `${folder}-${fnv1a(build())}.json`;
}

/**
 * A 64-bit FNV-1a hash of the key, in hex: a file name, not a secret (the folder is private), and no
 * node:crypto to load on every start.
 */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8'))
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

/** The config of an entry whose every signature still holds, or undefined (a miss). */
export function readConfigCache(key: ConfigCacheKey): CachedConfig | undefined {
  const dir = cacheDir();
  if (dir === undefined) return undefined;
  try {
    const entry = JSON.parse(readFileSync(path.join(dir, entryName(folderId(key))), 'utf8')) as Entry;
    if (entry.version !== pkg.version || entry.build !== build()) return undefined;
    const files = watched(key);
    if (!Array.isArray(entry.signatures) || entry.signatures.length !== files.length) return undefined;
    for (const [i, file] of files.entries()) {
      const [was, sig] = entry.signatures[i] ?? [];
      if (was !== file || sig !== signature(file)) return undefined;
    }
    if (typeof entry.loaded?.file !== 'string' || entry.parsed === null || typeof entry.parsed !== 'object') {
      return undefined;
    }
    return { loaded: entry.loaded, parsed: entry.parsed };
  } catch {
    return undefined;
  }
}

/** The signatures to compare after the search: taken before it, so a file changed meanwhile is a miss. */
export function signaturesBefore(key: ConfigCacheKey): [string, string][] {
  return watched(key).map((file) => [file, signature(file)]);
}

/**
 * Write the entry for a config just found, read and validated, when it is cacheable: a YAML or JSON file,
 * a value JSON keeps as it is, and no watched file changed since `before`. Atomic (a temporary file renamed
 * over the entry), so runs at once each leave a whole entry; a failure to write is only a slower next run.
 */
export function writeConfigCache(
  key: ConfigCacheKey,
  before: [string, string][],
  config: CachedConfig,
): void {
  const file = config.loaded.file;
  if (file === undefined || !/(\.(ya?ml|json)|\/\.ascrc)$/.test(file)) return;
  // node:util's CommonJS object: an ES import of it would load all its lazy parts on every start.
  const { isDeepStrictEqual } = process.getBuiltinModule('node:util');
  const value = { loaded: config.loaded, parsed: config.parsed };
  const text = JSON.stringify(value);
  if (!isDeepStrictEqual(JSON.parse(text), value)) return;
  if (!isDeepStrictEqual(signaturesBefore(key), before)) return;
  // A file written in the last seconds may be written again within the same tick of the file system's
  // clock, with the same size: its signature would not change. Such a config is cached by a later run.
  const now = Date.now();
  for (const [watchedFile, sig] of before) {
    if (sig === '-' || sig.startsWith('!')) continue;
    const mtime = statSync(watchedFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (now - mtime < RECENT_MS) return;
  }
  const dir = cacheDir();
  if (dir === undefined) return;
  const folder = folderId(key);
  const target = path.join(dir, entryName(folder));
  const temp = `${target}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const entry: Entry = { version: pkg.version, build: build(), signatures: before, ...value };
  try {
    writeFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(temp, target);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {}
    return;
  }
  prune(dir, folder);
}

/**
 * Keep the cache bounded, after a write (never on a hit): the folder's entries past its newest
 * BUILDS_PER_FOLDER (the one just written among them; an entry of an older asc, named by the folder
 * alone, counts as one), then, past MAX_ENTRIES files, the oldest written. A file another run removes
 * first, or one that cannot be removed, is passed over: pruning is only housekeeping.
 */
function prune(dir: string, folder: string): void {
  try {
    const names = readdirSync(dir);
    const ours = names.filter(
      (name) => name.startsWith(folder) && /^[\da-f]{16}(-[\da-f]{16})?\.json$/.test(name),
    );
    if (ours.length > BUILDS_PER_FOLDER) removeOldest(dir, ours, BUILDS_PER_FOLDER);
    if (names.length > MAX_ENTRIES) removeOldest(dir, names, PRUNED_TO);
  } catch {}
}

/** Remove all but the `keep` newest written of `names` (in `dir`). */
function removeOldest(dir: string, names: string[], keep: number): void {
  const dated: { file: string; mtime: number }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const mtime = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (mtime !== undefined) dated.push({ file, mtime });
  }
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of dated.slice(keep)) {
    try {
      rmSync(file, { force: true });
    } catch {}
  }
}
