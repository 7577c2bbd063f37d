import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import remapping from '@jridgewell/remapping';
import { transform } from 'esbuild';

/** The library's entries (`import 'ascalon'`, `'ascalon/testing'`): they stay ES modules, over the CommonJS code. */
export const LIBRARY_ENTRIES = ['index.js', 'testing.js'];

/**
 * tsup's split ESM build, made CommonJS file by file (docs/decisions.md, decision 48): every `X.js` becomes
 * `X.cjs`, and each library entry an ES module that re-exports its CommonJS build, so that the CLI and a
 * plugin that imports `ascalon` share one copy of the code (one `AscError` class, for `instanceof`).
 *
 * Why: Node's ES module loader costs some 15 million instructions to start, each ES module about 0.7
 * million to load where a CommonJS one costs 0.35, and an ES import of a built-in (`node:fs`) builds a
 * module of all its exports. esbuild splits only ES modules, so the split comes first and this follows:
 * - a chunk's `import … from "./x.js"` becomes a `require("./x.cjs")`, and `import("./x.js")` (a lazy
 *   chunk) or `import("node:…")` a `require` in a promise; every other `import()` (a user's config or
 *   plugin, web-tree-sitter) stays a real dynamic import, which CommonJS has too;
 * - `import.meta.url` becomes the chunk's own file URL;
 * - each source map is the two maps composed, so a stack still points into src/.
 */
export async function toCommonJs(dist: string): Promise<void> {
  const names = (await readdir(dist)).filter((name) => name.endsWith('.js'));
  const chunk = new RegExp(
    `(["'])\\./(${names.map((n) => escapeRegExp(n.slice(0, -3))).join('|')})\\.js\\1`,
    'g',
  );
  for (const name of names) {
    const file = path.join(dist, name);
    const original = await readFile(file, 'utf8');
    const code = original
      .replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n')
      .replace(
        /\bimport\((["'])(\.\/[^"']+|node:[^"']+)\1\)/g,
        'Promise.resolve().then(() => require($1$2$1))',
      )
      .replace(chunk, '$1./$2.cjs$1');
    const url = code.includes('import.meta.url');
    const out = await transform(code, {
      format: 'cjs',
      platform: 'node',
      target: 'node22',
      sourcemap: 'external',
      sourcefile: name,
      logLevel: 'error',
      ...(url
        ? {
            define: { 'import.meta.url': '__ascImportMetaUrl' },
            banner: 'var __ascImportMetaUrl = require("node:url").pathToFileURL(module.filename).href;',
          }
        : {}),
    });
    const cjs = `${name.slice(0, -3)}.cjs`;
    const inner = JSON.parse(await readFile(`${file}.map`, 'utf8'));
    const map = remapping([JSON.parse(out.map), inner], () => null);
    map.file = cjs;
    await writeFile(path.join(dist, `${cjs}.map`), JSON.stringify(map));
    await writeFile(path.join(dist, cjs), `${out.code}//# sourceMappingURL=${cjs}.map\n`, {
      mode: original.startsWith('#!') ? 0o755 : 0o644,
    });
    await rm(`${file}.map`);
    if (LIBRARY_ENTRIES.includes(name)) await writeFile(file, `export * from './${cjs}';\n`);
    else await rm(file);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
