import type { AscBuiltinPlugin } from '../src/index.ts';
import { backupEntry } from './backup/entry.ts';
import { dockerEntry } from './docker/entry.ts';
import { launchdEntry } from './launchd/entry.ts';
import { limaEntry } from './lima/entry.ts';
import { nixosEntry } from './nixos/entry.ts';
import { onePasswordEntry } from './onepassword/entry.ts';
import { weztermEntry } from './wezterm/entry.ts';

/**
 * The plugins that ship with asc, in the order their tasks are listed: by phase. Each is its entry
 * (`plugins/<name>/entry.ts`): a command loads a plugin's schema and code only when it uses them.
 */
export const builtinPlugins: readonly AscBuiltinPlugin[] = [
  limaEntry,
  weztermEntry,
  dockerEntry,
  onePasswordEntry,
  launchdEntry,
  backupEntry,
  nixosEntry,
];
