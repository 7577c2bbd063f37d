import { z } from 'zod';
import { durationOption } from '../../src/index.ts';
import { comboId, describeCombo, type KeyCombo, MODIFIERS, normalizeBinding, parseMods } from './keys.ts';

/** `ShowLauncherArgs` flags (docs: config/lua/keyassignment/ShowLauncherArgs.md). */
export const LAUNCHER_FLAGS = [
  'FUZZY',
  'TABS',
  'LAUNCH_MENU_ITEMS',
  'DOMAINS',
  'KEY_ASSIGNMENTS',
  'WORKSPACES',
  'COMMANDS',
] as const;

const ACTIONS = ['ShowLauncherArgs', 'SpawnTab'] as const;

const modsSchema = z.string().refine((mods) => parseMods(mods).unknown.length === 0, {
  error: (issue) =>
    `unknown modifier ${parseMods(String(issue.input))
      .unknown.map((name) => JSON.stringify(name))
      .join(', ')}: WezTerm knows ${Object.keys(MODIFIERS).join(', ')}, joined with | (upper-case)`,
});

const keyOption = z
  .object({
    key: z
      .string()
      .min(1)
      .refine((key) => !key.includes('|'), 'a key is one key ("t", "F1", "phys:T"); modifiers go in `mods`')
      .describe('The key, as WezTerm writes it: "s", "T", "F1", "phys:T".'),
    mods: modsSchema
      .default('')
      .describe('Modifiers joined with |: CMD (= SUPER), SHIFT, CTRL, ALT, LEADER.'),
    action: z
      .literal([...ACTIONS, false])
      .describe('ShowLauncherArgs, SpawnTab (in `domain`), or false to leave the combination alone.'),
    flags: z
      .string()
      .refine(
        (flags) =>
          flags.split('|').every((flag) => (LAUNCHER_FLAGS as readonly string[]).includes(flag.trim())),
        `ShowLauncherArgs flags are ${LAUNCHER_FLAGS.join(', ')}, joined with |`,
      )
      .optional()
      .describe('For ShowLauncherArgs: its flags. Default "FUZZY|DOMAINS".'),
  })
  .strict()
  .refine((binding) => binding.flags === undefined || binding.action === 'ShowLauncherArgs', {
    message: '`flags` goes with action ShowLauncherArgs only',
    path: ['flags'],
  });

export type KeyOption = z.output<typeof keyOption>;

/** The default bindings: CMD+S shows the domain picker, CMD+SHIFT+T and CTRL+SHIFT+T open a tab in the VM. */
export const DEFAULT_KEYS: readonly KeyOption[] = [
  { key: 's', mods: 'CMD', action: 'ShowLauncherArgs' },
  { key: 't', mods: 'CMD|SHIFT', action: 'SpawnTab' },
  { key: 't', mods: 'CTRL|SHIFT', action: 'SpawnTab' },
];

// `false` as a boolean that must be false: a value of another type then fails both branches on its type,
// and the config error says "expected array" rather than "expected one of false".
const noKeys = z
  .boolean()
  .refine(
    (value) => value === false,
    'true is not a list: write the bindings, or false to leave key bindings alone',
  )
  .transform(() => false as const);

const keysSchema = z.union([z.array(keyOption), noKeys]).superRefine((keys, ctx) => {
  if (keys === false) return;
  const seen = new Map<string, number>();
  keys.forEach((binding, index) => {
    const id = comboId(normalizeBinding(binding.key, binding.mods));
    const first = seen.get(id);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index],
        message: `${describeCombo(binding.key, binding.mods)} is the same binding as keys[${first}] once WezTerm normalises it (CMD = SUPER; SHIFT+letter = the upper-case letter)`,
      });
    }
    seen.set(id, index);
  });
});

/** Options of the wezterm plugin. */
export const weztermOptions = z
  .object({
    domain: z
      .string()
      .min(1)
      .refine((name) => name !== 'local', '"local" is the name of WezTerm\'s own local domain')
      .default('ascalon')
      .describe('The SSH domain WezTerm lists and opens tabs in.'),
    configFile: z
      .string()
      .min(1)
      .default('~/.config/wezterm/wezterm.lua')
      .describe('The Lua file that sets ssh_domains; `~` is your home, a relative path is from the config.'),
    keysFile: z.string().min(1).optional().describe('The Lua file that sets keys. Default: configFile.'),
    keys: keysSchema
      .default([])
      .describe(
        'Changes to the default bindings (CMD+S launcher, CMD+SHIFT+T and CTRL+SHIFT+T new tab in the domain), or false to leave key bindings alone.',
      ),
    deploy: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A shell line run once after a Lua file changed, in the config file's folder (`task nix:refresh:work`).",
      ),
    deployTimeout: durationOption().default('10m').describe('How long the deploy command may take.'),
    mux: z
      .boolean()
      .default(false)
      .describe(
        "Sessions that live in the VM: WezTerm's multiplexer (the Mac's version) runs there as a systemd user service, and the keys open tabs in it.",
      ),
  })
  .strict();

export type WeztermOptions = z.output<typeof weztermOptions>;

/** What one wanted binding does. */
export type WantedAction = { name: 'ShowLauncherArgs'; flags: string } | { name: 'SpawnTab'; domain: string };

export interface WantedBinding {
  key: string;
  mods: string;
  combo: KeyCombo;
  /** `CMD+SHIFT+T`. */
  label: string;
  action: WantedAction;
}

/**
 * The bindings asc keeps: the defaults, changed by the `keys` option. An entry for the same keys (after
 * WezTerm's normalisation) replaces the default; `action: false` drops it; other entries are added.
 */
export function wantedBindings(options: WeztermOptions): WantedBinding[] {
  if (options.keys === false) return [];
  const merged = new Map<string, KeyOption>();
  for (const binding of [...DEFAULT_KEYS, ...options.keys]) {
    merged.set(comboId(normalizeBinding(binding.key, binding.mods)), binding);
  }
  const wanted: WantedBinding[] = [];
  for (const binding of merged.values()) {
    if (binding.action === false) continue;
    wanted.push({
      key: binding.key,
      mods: binding.mods,
      combo: normalizeBinding(binding.key, binding.mods),
      label: describeCombo(binding.key, binding.mods),
      action:
        binding.action === 'SpawnTab'
          ? { name: 'SpawnTab', domain: options.domain }
          : { name: 'ShowLauncherArgs', flags: binding.flags ?? 'FUZZY|DOMAINS' },
    });
  }
  return wanted;
}
