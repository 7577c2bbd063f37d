/**
 * `import()` of a user's module (an external plugin), in a chunk of its own: asc's code cache compiles
 * no chunk that holds a real dynamic import (src/code-cache.ts), so the one import stays out of the
 * chunk it is called from, which a converged run loads every time.
 */
export const importFile = (url: string): Promise<Record<string, unknown>> => import(url);
