import { defineConfig } from 'tsup';

// One bundled ESM CLI plus the library entry for defineConfig/definePlugin.
// Runtime libraries stay external (they are all in `dependencies`): bundling
// execa's CJS dependencies into ESM breaks at start.
export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  clean: true,
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing.ts' } },
  sourcemap: true,
  splitting: true,
  removeNodeProtocol: false,
  // zod is pure ESM: bundled and tree-shaken it loads in a few ms instead of ~35 (it stays in
  // `dependencies` for plugin authors' types). CommonJS libraries stay external.
  noExternal: ['zod'],
});
