import type { AscPlugin } from '../src/core/types.ts';
import { limaPlugin } from './lima/index.ts';
import { nixosPlugin } from './nixos/index.ts';
import { weztermPlugin } from './wezterm/index.ts';

/** The plugins that ship with asc, in the order their tasks are listed. */
export const builtinPlugins: readonly AscPlugin<unknown>[] = [limaPlugin, weztermPlugin, nixosPlugin];
