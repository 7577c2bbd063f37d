import { AscError } from '../../src/index.ts';
import {
  appendItems,
  applySplices,
  detectStyle,
  fieldItem,
  type LuaStyle,
  luaString,
  type Quote,
  type RenderItem,
  renderTable,
  replaceNode,
  type Splice,
  tableLayout,
} from './lua-edit.ts';
import type { LuaPlan } from './lua-files.ts';
import { findListSetting, itemTable, type ListSetting } from './lua-tables.ts';
import {
  fieldsNamed,
  fieldValue,
  type LuaNode,
  lastFieldValue,
  lineOf,
  stringValue,
  withLuaTree,
} from './lua-tree.ts';

/** The entry asc keeps in `ssh_domains`. */
export interface WantedDomain {
  name: string;
  /** `lima-<instance>`: the Host alias of Lima's ssh.config, whose port Lima rewrites at every start. */
  remoteAddress: string;
}

/** The fields asc sets, in the order a new entry lists them. Every other field is the user's. */
function wantedFields(want: WantedDomain): [string, string][] {
  return [
    ['remote_address', want.remoteAddress],
    // Plain ssh, as `wezterm ssh` does: no wezterm mux server needed in the VM (SshDomain.md).
    ['multiplexing', 'None'],
  ];
}

/**
 * In `text`, the `ssh_domains` entry named `want.name` has remote_address `lima-<instance>` and
 * multiplexing "None"; a missing entry is appended. Everything else stays as it is.
 */
export async function planSshDomain(text: string, file: string, want: WantedDomain): Promise<LuaPlan> {
  return withLuaTree(text, file, (root) => {
    const setting = findListSetting(root, file, 'ssh_domains', exampleDomains(want));
    const style = detectStyle(text, root, setting.table);
    const entries = setting.items.map(itemTable);
    const named = entries.filter((entry) => stringValue(lastFieldValue(entry, 'name')) === want.name);
    // An entry whose name asc cannot read may be this one.
    const unreadable = entries.filter((entry) => stringValue(lastFieldValue(entry, 'name')) === undefined);
    if (named.length > 1) {
      throw new AscError(
        `${file} has ${named.length} ssh_domains entries named ${want.name} (lines ${named.map(lineOf).join(', ')}): WezTerm needs domain names to be unique`,
        { code: 'E_REFUSED', hint: `remove all but one of them, then run asc again` },
      );
    }
    const entry = named[0];
    if (!entry) {
      if (unreadable.length > 0 || setting.unknown.length > 0 || !setting.table) {
        throw cannotFollow(file, setting, want, style);
      }
      const sample = entries.at(-1);
      const render: RenderItem = (indent) => {
        const layout = sample ? tableLayout(text, sample, style) : { ...DEFAULT_LAYOUT };
        return renderTable(entryFields(want, style.quote), layout, indent, style);
      };
      return {
        text: applySplices(text, appendItems(text, setting.table, style, [render])),
        changes: [
          `no ssh_domains entry named ${want.name}: one is added (ssh_domains at line ${lineOf(setting.table)})`,
        ],
        found: [],
      };
    }
    const splices: Splice[] = [];
    const changes: string[] = [];
    const add: RenderItem[] = [];
    const quote = quoteOf(lastFieldValue(entry, 'name')) ?? style.quote;
    for (const [name, wanted] of wantedFields(want)) {
      const fields = fieldsNamed(entry, name);
      if (fields.length === 0) {
        add.push(fieldItem(name, luaString(wanted, quote)));
        changes.push(`${want.name}: ${name} is not set → "${wanted}" (line ${lineOf(entry)})`);
        continue;
      }
      for (const field of fields) {
        const current = fieldValue(field);
        if (!current || stringValue(current) === wanted) continue;
        splices.push(replaceNode(current, luaString(wanted, quoteOf(current) ?? quote)));
        changes.push(`${want.name}: ${name} ${current.text} → "${wanted}" (line ${lineOf(field)})`);
      }
    }
    splices.push(...appendItems(text, entry, style, add));
    const found =
      changes.length === 0
        ? [`${want.name} → ${want.remoteAddress}, multiplexing None (line ${lineOf(entry)})`]
        : [];
    return { text: applySplices(text, splices), changes, found };
  });
}

const DEFAULT_LAYOUT = { multiline: true, padded: true, spacedEquals: true, separator: ',', trailing: true };

function entryFields(want: WantedDomain, quote: Quote): [string, string][] {
  return [['name', want.name], ...wantedFields(want)].map(([name, value]) => [
    name!,
    luaString(value!, quote),
  ]);
}

function quoteOf(node: LuaNode | undefined): Quote | undefined {
  const first = node?.type === 'string' ? node.text[0] : undefined;
  return first === '"' || first === "'" ? first : undefined;
}

function cannotFollow(file: string, setting: ListSetting, want: WantedDomain, style: LuaStyle): AscError {
  const entry = renderTable(
    entryFields(want, style.quote),
    { ...DEFAULT_LAYOUT, multiline: false },
    '',
    style,
  );
  const where = lineOf(setting.at);
  const why = setting.computed
    ? `its value is computed (\`${setting.computed.text.split('\n')[0]}\`, line ${lineOf(setting.computed)})`
    : 'it holds entries, or gets them added, in ways asc cannot read';
  const [place, line] =
    setting.table && !setting.computed
      ? [`add this entry to the ssh_domains table at line ${lineOf(setting.table)} of ${file}`, `  ${entry},`]
      : setting.ref
        ? [
            `add this line after line ${setting.at.endPosition.row + 1} of ${file}`,
            `  table.insert(${setting.ref}, ${entry})`,
          ]
        : [
            `add this entry to the table that \`ssh_domains = …\` at line ${where} of ${file} builds`,
            `  ${entry},`,
          ];
  return new AscError(
    `asc cannot follow the ssh_domains set at ${file}:${where}: ${why}, so it cannot tell whether a domain named ${want.name} is there`,
    {
      code: 'E_REFUSED',
      hint: `${place} (and remove any other entry named ${want.name}):\n${line}\nasc then finds it`,
    },
  );
}

/** What to add to a file that sets no ssh_domains. */
function exampleDomains(want: WantedDomain): string {
  const style: LuaStyle = { quote: '"', indentUnit: '  ', eol: '\n' };
  const entry = renderTable(entryFields(want, '"'), { ...DEFAULT_LAYOUT, multiline: false }, '', style);
  return [
    '  config.ssh_domains = {',
    `    ${entry},`,
    '  }',
    "A list of your own replaces WezTerm's default SSH:<host> domains. To keep them, start from",
    `\`config.ssh_domains = wezterm.default_ssh_domains()\` and add \`table.insert(config.ssh_domains, ${entry})\`.`,
  ].join('\n');
}
