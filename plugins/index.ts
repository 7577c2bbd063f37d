import type { AscPlugin } from '../src/core/types.ts';
import { launchdPlugin } from './launchd/index.ts';
import { limaPlugin } from './lima/index.ts';

/** The plugins that ship with asc, in the order their tasks are listed. */
export const builtinPlugins: readonly AscPlugin<unknown>[] = [
  limaPlugin as AscPlugin<unknown>,
  launchdPlugin as AscPlugin<unknown>,
];
