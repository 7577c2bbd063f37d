import type { AscPlugin } from '../src/core/types.ts';
import { dockerPlugin } from './docker/index.ts';
import { limaPlugin } from './lima/index.ts';
import { onePasswordPlugin } from './onepassword/index.ts';

/** The plugins that ship with asc, in the order their tasks are listed. */
export const builtinPlugins: readonly AscPlugin<unknown>[] = [
  limaPlugin as AscPlugin<unknown>,
  dockerPlugin as AscPlugin<unknown>,
  onePasswordPlugin as AscPlugin<unknown>,
];
