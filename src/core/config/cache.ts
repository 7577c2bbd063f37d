import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../../package.json' with { type: 'json' };
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

/** This build of asc: its version, and the module's own file (a rebuild in a checkout changes it). */
function build(): string {
  return `${pkg.version}:${signature(fileURLToPath(import.meta.url))}`;
}

/**
 * asc's cache folder in the temporary folder (as the compile cache's, decision 10): made private, and
 * used only while it is a folder of this user's that nobody else may write to.
 */
function cacheDir(): string | undefined {
  const dir = path.join(tmpdir(), `asc-config-cache-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = lstatSync(dir);
    if (!s.isDirectory() || (process.getuid && s.uid !== process.getuid()) || (s.mode & 0o077) !== 0) {
      return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

function entryFile(dir: string, key: ConfigCacheKey): string {
  const id = JSON.stringify([
    key.cwd,
    key.home,
    key.explicit ?? null,
    key.env.XDG_CONFIG_HOME ?? null,
    process.platform,
  ]);
  return path.join(dir, `${fnv1a(id)}.json`);
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
    const entry = JSON.parse(readFileSync(entryFile(dir, key), 'utf8')) as Entry;
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
  const target = entryFile(dir, key);
  const temp = `${target}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const entry: Entry = { version: pkg.version, build: build(), signatures: before, ...value };
  try {
    writeFileSync(temp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(temp, target);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {}
  }
}
