import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'rolldown';
import {
  everyChunkMapped,
  functionWrappedCommonJs,
  isCommandersChildProcess,
  lazyChildProcessInCommander,
  libraryFacades,
  zodEnglishOnly,
} from './scripts/build-plugins.ts';

/**
 * Runtime packages that stay outside the bundle, each for a reason (docs/decisions.md, "One bundle"):
 * the two tree-sitter packages find their `.wasm` files beside their own code at run time, and
 * `typescript` is the optional peer that cosmiconfig loads for an `asc.config.ts`.
 */
export const EXTERNAL = ['web-tree-sitter', '@tree-sitter-grammars/tree-sitter-lua', 'typescript'];

const isExternal = (specifier: string) =>
  specifier.startsWith('node:') ||
  builtinModules.includes(specifier) ||
  EXTERNAL.some((name) => specifier === name || specifier.startsWith(`${name}/`));

const ROOT = import.meta.dirname;
const CLI = path.join(ROOT, 'src/cli.ts');

/**
 * What every `asc run`, `plan` and `status` loads, and what every command loads, each as one chunk
 * (decision 9, "Chunking"). Left to itself, rolldown cuts the code these share with the library
 * entries and the other commands into a dozen small chunks, and Node pays for each file it loads.
 * - `start`: what `src/cli.ts` imports statically (the quick argument reader, asc's output, the
 *   version), which the other chunks need too: in a chunk of its own, no chunk ever requires the CLI
 *   entry (which would run the CLI where a plugin only imports `ascalon`).
 * - `engine`: the static imports of the converge command and of the built-in plugins' list, asc's own
 *   code and the small packages it imports statically; nothing loaded lazily (a plugin, the config
 *   search, zod, execa) is in it.
 */
const ENGINE_ROOTS = ['src/commands/converge.ts', 'plugins/index.ts'];

interface ModuleGraph {
  getModuleInfo(id: string): { importedIds: readonly string[] } | null;
}

/** The modules `roots` import statically, transitively, inside the project (node_modules included). */
function staticImports(graph: ModuleGraph, roots: string[]): Set<string> {
  const found = new Set<string>();
  const visit = (id: string) => {
    if (found.has(id) || !id.startsWith(`${ROOT}${path.sep}`)) return;
    found.add(id);
    for (const dep of graph.getModuleInfo(id)?.importedIds ?? []) visit(dep);
  };
  for (const root of roots) visit(path.join(ROOT, root));
  return found;
}

let groups: { start: Set<string>; engine: Set<string> } | undefined;
function chunkOf(id: string, graph: ModuleGraph): 'start' | 'engine' | null {
  if (!groups) {
    const start = staticImports(graph, ['src/cli.ts']);
    start.delete(CLI);
    const engine = new Set([...staticImports(graph, ENGINE_ROOTS)].filter((m) => m !== CLI && !start.has(m)));
    groups = { start, engine };
  }
  if (groups.start.has(id)) return 'start';
  return groups.engine.has(id) ? 'engine' : null;
}

// The CLI and the library entries, as CommonJS chunks (decision 48): Node loads a CommonJS module for
// about half what an ES module costs, and its ES module loader never starts. Every runtime package but
// EXTERNAL is inlined, so a global install never loads another version of one, and start-up resolves
// no package. Each lazy `import()` stays lazy: a chunk required on first use.
export default defineConfig({
  input: { cli: 'src/cli.ts', index: 'src/index.ts', testing: 'src/testing.ts' },
  platform: 'node',
  // An entry chunk exports what its module exports, nothing more: no chunk requires an entry.
  preserveEntrySignatures: 'strict',
  // A package's ES module build before its `main` (as tsup had it): jsonc-parser's `main` is a UMD file that
  // requires its own files at run time, which a bundle does not have beside it.
  resolve: { mainFields: ['module', 'main'] },
  external: (id, importer) => isExternal(id) && !isCommandersChildProcess(id, importer),
  transform: { target: 'node20' },
  plugins: [
    zodEnglishOnly,
    lazyChildProcessInCommander,
    functionWrappedCommonJs,
    libraryFacades(['index', 'testing'], 'cli.cjs'),
    everyChunkMapped,
  ],
  output: {
    dir: 'dist',
    cleanDir: true,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    sourcemap: true,
    // Comments and non-ASCII text cost V8 a slower scan at every lazy compile (a file with one
    // non-ASCII character is read as UTF-16); licences stay.
    comments: { legal: true, annotation: false, jsdoc: false },
    charset: 'ascii',
    codeSplitting: {
      groups: [
        {
          name: (id, graph) => (chunkOf(id, graph) === 'start' ? 'start' : null),
          debugName: 'start',
          priority: 2,
        },
        {
          name: (id, graph) => (chunkOf(id, graph) === 'engine' ? 'engine' : null),
          debugName: 'engine',
          priority: 1,
        },
      ],
    },
  },
});
