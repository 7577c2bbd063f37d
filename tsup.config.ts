import { defineConfig } from 'tsup';

// The library's declaration files only (`dist/index.d.ts`, `dist/testing.d.ts`); the code is rolldown's
// (rolldown.config.ts), built first: `npm run build` runs both.
export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm'],
  dts: { only: true },
  clean: false,
});
