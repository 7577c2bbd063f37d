import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import { toCommonJs } from './scripts/commonjs.ts';

/**
 * Runtime packages that stay outside the bundle, each for a reason (docs/decisions.md, "One bundle"):
 * the two tree-sitter packages find their `.wasm` files beside their own code at run time, and
 * `typescript` is the optional peer that cosmiconfig loads for an `asc.config.ts`.
 */
export const EXTERNAL = ['web-tree-sitter', '@tree-sitter-grammars/tree-sitter-lua', 'typescript'];

const isExternal = (specifier: string) =>
  EXTERNAL.some((name) => specifier === name || specifier.startsWith(`${name}/`));

/** Every bare specifier but Node's built-ins and EXTERNAL (a package name, or a file inside one). */
const BUNDLED = new RegExp(
  `^(?!node:|(?:${EXTERNAL.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(?:/|$))`,
);

/**
 * `await import('a-commonjs-package')` with named exports, as Node gives them. esbuild puts a dynamically
 * imported CommonJS module into a chunk of its own that exports only `default`, so `const { DOMParser } =
 * await import('@xmldom/xmldom')` would get undefined. This plugin puts an ESM facade in front of each
 * such package that re-exports its properties by name, read from the package itself at build time.
 */
const commonJsNamedExports: Plugin = {
  name: 'commonjs-named-exports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || isExternal(args.path)) return;
      const found = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      const file = found.path;
      if (found.errors.length > 0 || found.external || !(await isCommonJs(file))) return;
      // An ES module without "type": "module" (jsonc-parser's lib/esm) needs no facade: esbuild reads it.
      let names: string[];
      try {
        names = Object.keys(createRequire(file)(file)).filter(
          (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
        );
      } catch {
        return;
      }
      return { path: args.path, namespace: 'commonjs-facade', pluginData: { file, names } };
    });
    build.onLoad({ filter: /.*/, namespace: 'commonjs-facade' }, (args) => {
      const { file, names } = args.pluginData as { file: string; names: string[] };
      const from = JSON.stringify(file);
      return {
        contents: `import m from ${from};\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
        resolveDir: path.dirname(file),
        loader: 'js',
      };
    });
  },
};

/**
 * zod's messages in English only. `import { z } from 'zod'` keeps every locale zod ships (64 of them, a
 * third of zod's code) reachable through `z.locales`, so tree-shaking cannot drop them, and every command
 * would parse them at start. asc and its built-in plugins use zod's default, English (external plugins
 * bring their own zod).
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * commander requires `node:child_process` when it loads, for subcommands that are separate executables,
 * which asc has none of; child_process brings Node's net, dgram and stream modules with it. For
 * commander only, it becomes an object that requires the module on first use: a command that spawns
 * nothing never loads it.
 */
const lazyChildProcessInCommander: Plugin = {
  name: 'lazy-child-process-in-commander',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let loaded;\nmodule.exports = new Proxy({}, { get: (_, key) => (loaded ??= require(${JSON.stringify(args.path)}))[key] });\n`,
      loader: 'js',
    }));
  },
};

/**
 * After the build: the ESM chunks become CommonJS (scripts/commonjs.ts, decision 48), and
 * `dist/package.json` says `"type": "module"` for the two library entries left as ES modules: Node looks
 * for the nearest package.json of an ES module to learn its type, and without one in dist it would read
 * the package's own after looking in dist.
 */
async function afterBuild(): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await toCommonJs('dist');
  await writeFile('dist/package.json', '{ "type": "module" }\n');
}

/** Node's rule: `.cjs`, or `.js` whose nearest package.json does not say `"type": "module"`. */
async function isCommonJs(file: string): Promise<boolean> {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  const { readFile } = await import('node:fs/promises');
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) return (JSON.parse(text) as { type?: string }).type !== 'module';
    if (path.dirname(dir) === dir) return true;
  }
}

// One bundled ESM CLI plus the library entries (definePlugin, the test kit). Every other runtime package
// is inlined, so a global install never loads another version of one, and start-up resolves no package.
export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  clean: true,
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing.ts' } },
  sourcemap: true,
  // Per-command and per-feature lazy imports stay lazy: each is a chunk loaded on first use.
  splitting: true,
  removeNodeProtocol: false,
  noExternal: [BUNDLED],
  external: EXTERNAL,
  esbuildPlugins: [commonJsNamedExports, zodEnglishOnly, lazyChildProcessInCommander],
  // __filename and __dirname (write-file-atomic, import-fresh) come from tsup's ESM shims; `require`
  // (CommonJS packages bundled in call it for Node's built-ins) is CommonJS's own, after afterBuild.
  shims: true,
  onSuccess: afterBuild,
});
