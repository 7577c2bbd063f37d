// The published CLI is one bundle: at run time it loads Node's built-ins, its own chunks, and only the few
// packages kept outside on purpose (rolldown.config.ts, EXTERNAL), which are dependencies. A user's global
// install therefore cannot pick up another version of a package asc was tested with. Its chunks are
// CommonJS; the two library entries are ES modules over them (scripts/build-plugins.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { EXTERNAL } from '../rolldown.config.ts';
import { ROOT } from './harness/sandbox.ts';

const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

interface Found {
  file: string;
  how: 'import' | 'export from' | 'import()' | 'require()' | 'require.resolve()';
  specifier: string;
}

/** Every module specifier a file names in an import, an export … from, an import() or a require() call. */
function specifiers(file: string): Found[] {
  // A chunk parses as a CommonJS script (no import declaration, no import.meta), an entry as a module.
  const ast = parse(readFileSync(file, 'utf8'), {
    ecmaVersion: 'latest',
    sourceType: file.endsWith('.cjs') ? 'script' : 'module',
    allowHashBang: true,
  });
  const found: Found[] = [];
  const literal = (node: unknown): string | undefined => {
    const { type, value } = (node ?? {}) as { type?: string; value?: unknown };
    return type === 'Literal' && typeof value === 'string' ? value : undefined;
  };
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const n = node as { type?: string; source?: unknown; callee?: unknown; arguments?: unknown[] };
    const name = path.basename(file);
    if (n.type === 'ImportDeclaration')
      found.push({ file: name, how: 'import', specifier: literal(n.source)! });
    if ((n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && n.source)
      found.push({ file: name, how: 'export from', specifier: literal(n.source)! });
    if (n.type === 'ImportExpression') {
      const specifier = literal(n.source);
      if (specifier !== undefined) found.push({ file: name, how: 'import()', specifier });
    }
    if (n.type === 'CallExpression') {
      const callee = n.callee as { type?: string; name?: string };
      const specifier = literal(n.arguments?.[0]);
      if (callee.type === 'Identifier' && /^(__)?require$/.test(callee.name ?? '') && specifier !== undefined)
        found.push({ file: name, how: 'require()', specifier });
      // `require.resolve(…)` and `createRequire(import.meta.url).resolve(…)`: a file found in a package.
      const member = n.callee as {
        type?: string;
        object?: { type?: string; name?: string; callee?: unknown };
        property?: { name?: string };
      };
      const resolver =
        member.object?.type === 'CallExpression'
          ? /createRequire$/i.test(calleeName(member.object.callee))
          : /^(__)?require$/.test(member.object?.name ?? '');
      if (member.type === 'MemberExpression' && member.property?.name === 'resolve' && resolver && specifier)
        found.push({ file: name, how: 'require.resolve()', specifier });
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'type') visit(value);
  };
  visit(ast);
  return found;
}

/** `createRequire`, `x.createRequire` or CommonJS's `(0, x.createRequire)`: the name called. */
function calleeName(callee: unknown): string {
  const node = callee as { type?: string; name?: string; property?: unknown; expressions?: unknown[] };
  if (node?.type === 'SequenceExpression') return calleeName(node.expressions?.at(-1));
  if (node?.type === 'MemberExpression') return calleeName(node.property);
  return node?.name ?? '';
}

const builtin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? specifier);
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

describe('the bundle', () => {
  const files = readdirSync(DIST).filter((name) => /\.c?js$/.test(name));
  const all = files.flatMap((name) => specifiers(path.join(DIST, name)));

  it('has no runtime import of a package that is not bundled, but the few kept outside on purpose', () => {
    expect(files).toContain('cli.cjs');
    const outside = all.filter(({ specifier }) => !specifier.startsWith('./') && !builtin(specifier));
    const unexpected = outside.filter(({ specifier }) => !EXTERNAL.includes(packageOf(specifier)));
    expect(unexpected).toEqual([]);
    // The chunks do use what stays outside, so the list is not stale.
    expect([...new Set(outside.map(({ specifier }) => packageOf(specifier)))].sort()).toEqual(
      [...EXTERNAL].sort(),
    );
  });

  it('is CommonJS chunks that name only chunks that exist, under two ES module entries that re-export them', () => {
    // Every chunk parsed as a script above; no ES module is left in dist but the library's two entries.
    expect(files.filter((name) => name.endsWith('.js')).sort()).toEqual(['index.js', 'testing.js']);
    for (const entry of ['index', 'testing'])
      expect(readFileSync(path.join(DIST, `${entry}.js`), 'utf8')).toBe(`export * from './${entry}.cjs';\n`);
    const local = all.filter(({ specifier }) => specifier.startsWith('./'));
    expect(local.length).toBeGreaterThan(files.length);
    for (const { file, how, specifier } of local) {
      expect(specifier, `${file}: ${how} ${specifier}`).toMatch(/\.cjs$/);
      expect(files, `${file}: ${how} ${specifier}`).toContain(specifier.slice(2));
    }
    // No chunk requires an entry: importing `ascalon` must not run the CLI, nor a chunk of the CLI's load
    // the library's entries.
    const entries = local.filter(
      ({ file, specifier }) => file.endsWith('.cjs') && /^\.\/(cli|index|testing)\.cjs$/.test(specifier),
    );
    expect(entries).toEqual([]);
    // A chunk's import() of another chunk became a require; a dynamic import stays only for what is outside.
    expect(all.filter(({ how, specifier }) => how === 'import()' && specifier.startsWith('./'))).toEqual([]);
    // The two entries are ES modules: Node learns it from dist/package.json, not by looking further up.
    expect(JSON.parse(readFileSync(path.join(DIST, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
  });

  it('wraps each bundled CommonJS module in a function that Node’s compile cache keeps, not an arrow', () => {
    const wrappers = { function: 0, arrow: 0 };
    for (const name of files.filter((file) => file.endsWith('.cjs'))) {
      const ast = parse(readFileSync(path.join(DIST, name), 'utf8'), {
        ecmaVersion: 'latest',
        sourceType: 'script',
        allowHashBang: true,
      });
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) {
          for (const child of node) visit(child);
          return;
        }
        const n = node as { type?: string; callee?: { property?: { name?: string } }; arguments?: unknown[] };
        if (n.type === 'CallExpression' && n.callee?.property?.name === '__commonJSMin') {
          const { type } = (n.arguments?.[0] ?? {}) as { type?: string };
          if (type === 'FunctionExpression') wrappers.function++;
          if (type === 'ArrowFunctionExpression') wrappers.arrow++;
        }
        for (const [key, value] of Object.entries(node)) if (key !== 'type') visit(value);
      };
      visit(ast);
    }
    expect(wrappers.function).toBeGreaterThan(100);
    expect(wrappers.arrow).toBe(0);
  });

  it('maps each chunk back to asc’s sources', () => {
    const map = JSON.parse(readFileSync(path.join(DIST, 'cli.cjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain('../src/cli.ts');
  });

  it('each package kept outside is one that an install brings: a dependency, or the optional peer typescript', () => {
    for (const name of EXTERNAL) {
      const declared = pkg.dependencies?.[name] ?? pkg.peerDependencies?.[name];
      expect(declared, `${name} is neither a dependency nor a peer dependency`).toBeDefined();
      // A peer may also be a devDependency (typescript: the build uses it); a dependency may not.
      if (pkg.dependencies?.[name]) expect(pkg.devDependencies?.[name]).toBeUndefined();
    }
  });

  it('what is bundled is a devDependency; a dependency is only what stays outside or what the public types name', () => {
    const typesNamed = new Set<string>();
    for (const name of readdirSync(DIST).filter((file) => file.endsWith('.d.ts'))) {
      for (const match of readFileSync(path.join(DIST, name), 'utf8').matchAll(/from '([^'.][^']*)'/g))
        if (!builtin(match[1]!)) typesNamed.add(packageOf(match[1]!));
    }
    expect([...typesNamed]).toEqual(['zod']);
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(
      [...EXTERNAL.filter((name) => pkg.dependencies?.[name]), ...typesNamed].sort(),
    );
  });
});
