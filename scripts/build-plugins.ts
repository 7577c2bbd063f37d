import { chmod } from 'node:fs/promises';
import path from 'node:path';
import MagicString from 'magic-string';
import type { Plugin } from 'rolldown';
import { parseAst } from 'rolldown/parseAst';

/**
 * zod's messages in English only. `import { z } from 'zod'` keeps every locale zod ships (64 of them, a
 * third of zod's code) reachable through `z.locales`, so tree-shaking cannot drop them, and every command
 * would parse them at start. asc and its built-in plugins use zod's default, English (external plugins
 * bring their own zod).
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  load: {
    filter: { id: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ },
    handler: () => 'export { default as en } from "./en.js";\n',
  },
};

const LAZY = '\0lazy-builtin:';

/** Whether `id`, imported by `importer`, is commander's `node:child_process` (see below). */
export const isCommandersChildProcess = (id: string, importer: string | undefined) =>
  id === 'node:child_process' && importer !== undefined && /[\\/]commander[\\/]/.test(importer);

/**
 * commander requires `node:child_process` when it loads, for subcommands that are separate executables,
 * which asc has none of; child_process brings Node's net, dgram and stream modules with it. For
 * commander only, it becomes an object that requires the module on first use: a command that spawns
 * nothing never loads it. (The config's `external` leaves this one import to the plugin.)
 */
export const lazyChildProcessInCommander: Plugin = {
  name: 'lazy-child-process-in-commander',
  resolveId(source, importer) {
    return isCommandersChildProcess(source, importer) ? LAZY + source : undefined;
  },
  load(id) {
    if (!id.startsWith(LAZY)) return;
    const name = JSON.stringify(id.slice(LAZY.length));
    return `let loaded;\nmodule.exports = new Proxy({}, { get: (_, key) => (loaded ??= require(${name}))[key] });\n`;
  },
};

/**
 * A bundled CommonJS module's body as a parenthesised `function`, not the arrow rolldown writes
 * (`__commonJSMin(((exports, module) => { … }))`). V8 compiles a parenthesised function with the code
 * around it, so Node's compile cache keeps it; an arrow is compiled when first called, and then parsed
 * three times over (its parameters are only known to be an arrow's at the `=>`). For commander, which
 * `--help` runs, that was some 8 million instructions at every start. A body that uses `this` at its top
 * (an arrow's is the chunk's) keeps its arrow.
 */
export const functionWrappedCommonJs: Plugin = {
  name: 'function-wrapped-commonjs',
  renderChunk(code, chunk) {
    if (!code.includes('__commonJSMin(')) return null;
    const s = new MagicString(code);
    visit(parseAst(code, { sourceType: 'script' }), (node) => {
      const callee = node.callee as Node | undefined;
      const name = callee?.type === 'MemberExpression' ? (callee.property as Node).name : callee?.name;
      const wrapper = (node.arguments as Node[] | undefined)?.[0];
      if (
        node.type !== 'CallExpression' ||
        name !== '__commonJSMin' ||
        wrapper?.type !== 'ArrowFunctionExpression'
      )
        return;
      if (usesThis(wrapper.body as Node)) return;
      const params = wrapper.params as Node[];
      const head = `function (${params.map((p) => code.slice(p.start, p.end)).join(', ')}) `;
      s.overwrite(wrapper.start, (wrapper.body as Node).start, head);
    });
    return { code: s.toString(), map: s.generateMap({ hires: true, source: chunk.fileName }) };
  },
};

/**
 * The library's entries (`import 'ascalon'`, `'ascalon/testing'`) as ES modules over their CommonJS
 * builds, so that the CLI and a plugin that imports `ascalon` share one copy of the code (one `AscError`
 * class, for `instanceof`); `dist/package.json` says `"type": "module"` for them (without it Node would
 * look for the package's own after looking in dist). The CLI's file is executable: it is the bin.
 */
export function libraryFacades(entries: string[], bin: string): Plugin {
  return {
    name: 'library-facades',
    generateBundle() {
      for (const entry of entries)
        this.emitFile({
          type: 'asset',
          fileName: `${entry}.js`,
          source: `export * from './${entry}.cjs';\n`,
        });
      this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "module" }\n' });
    },
    async writeBundle(options) {
      await chmod(path.join(options.dir ?? 'dist', bin), 0o755);
    },
  };
}

/**
 * A source map beside every chunk, as a stack trace and `test/e2e/startup-loads.test.ts` expect: rolldown
 * writes none for a chunk with no source of its own (its runtime helpers, an entry that only re-exports),
 * so such a chunk gets an empty one.
 */
export const everyChunkMapped: Plugin = {
  name: 'every-chunk-mapped',
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk' || chunk.map || `${chunk.fileName}.map` in bundle) continue;
      const map = { version: 3, file: chunk.fileName, sources: [], names: [], mappings: '' };
      this.emitFile({ type: 'asset', fileName: `${chunk.fileName}.map`, source: JSON.stringify(map) });
      chunk.code += `\n//# sourceMappingURL=${path.basename(chunk.fileName)}.map\n`;
    }
  },
};

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

function visit(node: unknown, each: (node: Node) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) visit(child, each);
    return;
  }
  if (typeof (node as Node).type === 'string') each(node as Node);
  for (const [key, value] of Object.entries(node)) if (key !== 'type') visit(value, each);
}

/** Whether `this` in the body means the enclosing one (not inside a function or class of its own). */
function usesThis(body: Node): boolean {
  let found = false;
  const walk = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    const { type } = node as Node;
    if (type === 'ThisExpression') found = true;
    if (type === 'FunctionExpression' || type === 'FunctionDeclaration' || type === 'ClassBody') return;
    for (const [key, value] of Object.entries(node)) if (key !== 'type') walk(value);
  };
  walk(body);
  return found;
}
