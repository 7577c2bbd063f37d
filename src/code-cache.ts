import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { privateFolder } from './core/private-folder.ts';

/**
 * V8's compiled code for asc's own chunks, kept from the first run that compiled it (decision 48).
 *
 * Node's compile cache keeps what V8 compiled when a module was loaded: the top of the module, and
 * none of the functions V8 compiles only when they are first called, which is nearly all of asc's and
 * commander's code. Every start compiled them again. Here asc's chunks (`dist/*.cjs`) are compiled as
 * `vm.Script`s, and a chunk that had no usable cache gets one at exit, made after the run
 * (`script.createCachedData()`, whose code then includes every function the run called).
 *
 * Each command has its own set of files (`set`, from `cacheSet`): a chunk's code made by `asc --version`
 * holds none of the functions `asc run` calls, and a set is made once, by its command's first run.
 *
 * The cache is only a shortcut, and never trusted blindly: a file is named by the chunk's path, size and
 * mtime (a chunk's name holds a hash of its content; npm gives every file of a package one mtime), and
 * V8 itself refuses code made by another V8, with other flags, or for a source of another length; a
 * refused or unreadable file is compiled as if there were none, and replaced at exit. The folder is the
 * user's own (mode 0700, owned by them), else it is not used: code read from it runs as asc.
 */
export function enableCodeCache(
  set: string,
  dist = path.dirname(fileURLToPath(import.meta.url)),
  root = path.join(tmpdir(), `asc-compile-cache-${process.getuid?.() ?? 'user'}`),
): void {
  const folder = path.join(root, `v8-${process.version}-${process.arch}`, set);
  const extensions = (nodeModule as unknown as { _extensions: Record<string, Loader> })._extensions;
  const plain = extensions['.cjs'] ?? extensions['.js'];
  if (!plain) return;
  const trusted = privateFolder(folder);
  const made: { script: vm.Script; file: string }[] = [];
  extensions['.cjs'] = (module, filename) => {
    if (path.dirname(filename) !== dist) return plain(module, filename);
    const source = readFileSync(filename, 'utf8');
    // A real dynamic import (a user's config or plugin, web-tree-sitter) would need vm's experimental
    // module loader: such a chunk loads as any other file, with Node's compile cache.
    if (source.includes('import(')) return plain(module, filename);
    const file = path.join(folder, cacheName(filename));
    const cachedData = trusted ? readCache(file) : undefined;
    const script = new vm.Script(nodeModule.wrap(source.replace(/^#!/, '//')), {
      filename,
      cachedData,
    });
    if (cachedData === undefined || script.cachedDataRejected) made.push({ script, file });
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(
      module.exports,
      module.exports,
      nodeModule.createRequire(filename),
      module,
      filename,
      path.dirname(filename),
    );
  };
  process.on('exit', () => {
    if (made.length === 0) return;
    try {
      if (!privateFolder(folder, true)) return;
      for (const { script, file } of made) {
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, file);
      }
    } catch {
      // A cache that cannot be written is a start that stays as slow as it was.
    }
  });
}

type Loader = (module: { exports: unknown }, filename: string) => void;

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** `<chunk>-<FNV-1a of path, size and mtime>.v8`. */
function cacheName(filename: string): string {
  const { size, mtimeMs } = statSync(filename);
  const key = `${filename}\0${size}\0${mtimeMs}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `${path.basename(filename, '.cjs')}-${hash.toString(16).padStart(8, '0')}.v8`;
}

/** The command's set: `help` for any help, else the first plain word (`run`, `doctor`), else `none`. */
export function cacheSet(args: readonly string[]): string {
  if (args.some((arg) => arg === '--help' || arg === '-h')) return 'help';
  return args.find((arg) => /^[a-z_]{1,16}$/.test(arg)) ?? 'none';
}
