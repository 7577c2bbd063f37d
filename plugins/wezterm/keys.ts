/**
 * Key bindings compared as WezTerm compares them. WezTerm reads `mods` with `Modifiers::try_from`
 * (wezterm-input-types/src/lib.rs): names split on `|`, blanks trimmed, `CMD` = `WIN` = `SUPER`,
 * `OPT` = `META` = `ALT`, `NONE` or nothing for none, anything else an error. Then `Config::key_bindings`
 * applies `normalize_shift`: with SHIFT held, an ASCII letter becomes upper-case and SHIFT is dropped,
 * so `{key='t', mods='CMD|SHIFT'}`, `{key='T', mods='CMD|SHIFT'}` and `{key='T', mods='CMD'}` are one
 * binding. Bindings are kept in a map, so of two for the same keys the later one wins.
 */

/** Modifier names WezTerm accepts, and what each one means. */
export const MODIFIERS: Readonly<Record<string, string | undefined>> = {
  SHIFT: 'SHIFT',
  CTRL: 'CTRL',
  ALT: 'ALT',
  OPT: 'ALT',
  META: 'ALT',
  SUPER: 'SUPER',
  CMD: 'SUPER',
  WIN: 'SUPER',
  LEADER: 'LEADER',
  NONE: undefined,
};
const ORDER = ['SHIFT', 'ALT', 'CTRL', 'SUPER', 'LEADER'];

/** `mods` as a sorted list of canonical names; unknown names are returned apart. */
export function parseMods(mods: string | undefined): { mods: string[]; unknown: string[] } {
  const found = new Set<string>();
  const unknown: string[] = [];
  for (const raw of (mods ?? '').split('|')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!Object.hasOwn(MODIFIERS, name)) unknown.push(name);
    else if (MODIFIERS[name]) found.add(MODIFIERS[name]);
  }
  return { mods: ORDER.filter((name) => found.has(name)), unknown };
}

/** Key names that stand for a character (KeyCode::try_from in wezterm-input-types). */
const CHAR_ALIASES: Readonly<Record<string, string>> = {
  Backspace: '\b',
  Tab: '\t',
  Return: '\r',
  Enter: '\r',
  Escape: '\x1b',
  Delete: '\x7f',
};

/** One binding after WezTerm's normalisation: the key and the modifiers it really needs. */
export interface KeyCombo {
  /** `mapped:T`, `phys:T`, `raw:123`. */
  key: string;
  mods: string[];
}

/**
 * The combination WezTerm binds for `key` and `mods`. Keys without a prefix are `mapped:` (WezTerm's
 * default `key_map_preference = "Mapped"`); physical keys have no case, so `phys:t` = `phys:T`.
 */
export function normalizeBinding(key: string, mods: string | undefined): KeyCombo {
  let kind = 'mapped';
  let name = key;
  const prefixed = /^(mapped|phys|raw):(.+)$/.exec(key);
  if (prefixed) {
    kind = prefixed[1]!;
    name = prefixed[2]!;
  }
  let { mods: list } = parseMods(mods);
  if (kind === 'phys') name = name.length === 1 ? name.toUpperCase() : name;
  if (kind === 'mapped') {
    name = CHAR_ALIASES[name] ?? name;
    if (list.includes('SHIFT') && /^[A-Za-z]$/.test(name)) {
      name = name.toUpperCase();
      list = list.filter((mod) => mod !== 'SHIFT');
    }
  }
  return { key: `${kind}:${name}`, mods: list };
}

export function comboId(combo: KeyCombo): string {
  return `${combo.key}+${combo.mods.join('|')}`;
}

/** `CMD+SHIFT+T`, as the user would say it. */
export function describeCombo(key: string, mods: string): string {
  const names = mods
    .split('|')
    .map((mod) => mod.trim())
    .filter((mod) => mod && mod !== 'NONE');
  const shown = /^[a-z]$/.test(key) ? key.toUpperCase() : key;
  return [...names, shown].join('+');
}
