import { z } from 'zod';
import { durationOption } from '../../src/index.ts';
import { comboId, describeCombo, MODIFIERS, normalizeBinding, parseMods } from './keys.ts';

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
    sshOption: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'ssh_option of the domain asc writes (`userknownhostsfile: /Users/you/.ssh/known_hosts_lima`): WezTerm passes each to its ssh as an ssh_config option.',
      ),
    configFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The WezTerm config file whose final `return` asc wraps: the file WezTerm loads, or its source in your repo when Nix deploys it. `~` is your home, a relative path is from the asc config. Default: the file WezTerm loads ($WEZTERM_CONFIG_FILE, ~/.wezterm.lua, ~/.config/wezterm/wezterm.lua).',
      ),
    // Retired (decision 30): asc no longer edits the file that sets keys.
    keysFile: z
      .unknown()
      .optional()
      .refine(
        (value) => value === undefined,
        'keysFile is retired: asc no longer edits the Lua that sets your keys; ascalon.lua binds them on the final config. Remove keysFile, and set configFile to the file WezTerm loads (wezterm.lua), not a module it requires',
      )
      .describe('Retired: remove it (the bindings come from ascalon.lua).'),
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
        "A shell line run once after asc changed a Lua file, in configFile's folder (`task nix:refresh:work`).",
      ),
    deployTimeout: durationOption().default('10m').describe('How long the deploy command may take.'),
  })
  .strict();

export type WeztermOptions = z.output<typeof weztermOptions>;
