import type { AscPlugin } from '../src/index.ts';
import { dockerPlugin } from './docker/index.ts';
import { launchdPlugin } from './launchd/index.ts';
import { limaPlugin } from './lima/index.ts';
import { nixosPlugin } from './nixos/index.ts';
import { onePasswordPlugin } from './onepassword/index.ts';
import { weztermPlugin } from './wezterm/index.ts';

/** The plugins that ship with asc, in the order their tasks are listed: by phase. */
export const builtinPlugins: readonly AscPlugin<unknown>[] = [
  limaPlugin,
  weztermPlugin,
  dockerPlugin,
  onePasswordPlugin,
  launchdPlugin,
  nixosPlugin,
];
