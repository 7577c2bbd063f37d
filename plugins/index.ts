import type { AscPlugin } from '../src/core/types.ts';

/** The plugins that ship with asc, in the order their tasks are listed. */
export const builtinPlugins: readonly AscPlugin<unknown>[] = [];
