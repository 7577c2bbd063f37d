import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/harness/sandbox.ts';
import { evaluateWezTermConfig } from '../../test/harness/wezterm-lua.ts';
import {
  appendItems,
  applySplices,
  detectStyle,
  fieldItem,
  luaString,
  removeItem,
  type Splice,
} from './lua-edit.ts';
import { type LuaNode, stringValue, tableFields, walk, withLuaTree } from './lua-tree.ts';

/** Run `edit` on the first table constructor of `text` (or the one `pick` chooses) and apply its splices. */
async function editTable(
  text: string,
  edit: (text: string, table: LuaNode, root: LuaNode) => Splice[],
  pick = (tables: LuaNode[]) => tables[0]!,
): Promise<string> {
  const splices = await withLuaTree(text, 'test.lua', (root) => {
    const tables = [...walk(root)].filter((node) => node.type === 'table_constructor');
    return edit(text, pick(tables), root);
  });
  return applySplices(text, splices);
}

const append =
  (...items: string[]) =>
  (text: string, table: LuaNode, root: LuaNode) =>
    appendItems(
      text,
      table,
      detectStyle(text, root, table),
      items.map((item) => () => item),
    );

describe('the Lua parser', () => {
  it('reads Lua 5.4, which WezTerm embeds: <const> and <close> locals, integer division, goto', async () => {
    const text = [
      'local wezterm <const> = require("wezterm")',
      'local f <close> = nil',
      'local half = 7 // 2',
      'goto done',
      '::done::',
      'return {}',
    ].join('\n');
    await expect(withLuaTree(text, 'wezterm.lua', (root) => root.type)).resolves.toBe('chunk');
  });

  it('names the file, line and column of a syntax error', async () => {
    const text = 'local config = {}\nconfig.keys = {\n  { key = "t", mods = = "CMD" },\n}\n';
    await expect(withLuaTree(text, '~/wezterm/keys.lua', () => 0)).rejects.toThrow(
      /^~\/wezterm\/keys\.lua:3:\d+: not valid Lua \(unexpected "="\); asc left it as it is$/,
    );
    await expect(withLuaTree('config.keys = {\n', 'k.lua', () => 0)).rejects.toThrow(
      /^k\.lua:\d+:\d+: not valid Lua/,
    );
    // An invalid escape is a syntax error in Lua 5.4 too.
    await expect(withLuaTree('x = "a\\q"', 'k.lua', () => 0)).rejects.toThrow(/^k\.lua:1:\d+: not valid Lua/);
  });

  it.each([
    ['a doubled =', 'status_update_interval = 200', 'status_update_interval = = 200'],
    ['an unfinished string', 'name = "arrakis",', 'name = "arrakis,'],
    ['a missing separator', '"--login",', '"--login"\n      "--x",'],
    ['a stray keyword', 'local M = {}', 'local M = {} then'],
    ['an unknown attribute', 'local M = {}', 'local M <static> = {}'],
  ])('names the line Lua 5.4 names for %s', async (_, from, to) => {
    const text = readFileSync(path.join(ROOT, 'test/fixtures/wezterm/sysinit-core.lua'), 'utf8').replace(
      from,
      to,
    );
    const lua = await evaluateWezTermConfig(text).catch((error: Error) => error.message);
    const luaLine = /main\.lua:(\d+):/.exec(String(lua))?.[1];
    expect(luaLine).toBeDefined();
    await expect(withLuaTree(text, 'core.lua', () => 0)).rejects.toThrow(
      new RegExp(`^core\\.lua:${luaLine}:\\d+: not valid Lua`),
    );
  });

  it('reads string values with their escapes and long brackets', async () => {
    const values = await withLuaTree(
      'return { "a\\tb\\"c", \'\\65\\x42\\u{43}\', [[\nraw\\n]], [==[a]]b]==], "" }',
      't.lua',
      (root) => [...walk(root)].filter((node) => node.type === 'string').map((node) => stringValue(node)),
    );
    expect(values).toEqual(['a\tb"c', 'ABC', 'raw\\n', 'a]]b', '']);
  });
});

describe('edits at source ranges', () => {
  it.each([
    ['an inline table', 'x = { a, b }\n', 'x = { a, b, c }\n'],
    ['an inline table without padding', 'x = {a,b}\n', 'x = {a,b, c}\n'],
    ['an inline table with a trailing separator', 'x = { a; b; }\n', 'x = { a; b; c; }\n'],
    ['an empty table', 'x = {}\n', 'x = {\n  c,\n}\n'],
    [
      'an empty table, indented with tabs',
      'if y then\n\tx = {}\nend\n',
      'if y then\n\tx = {\n\t\tc,\n\t}\nend\n',
    ],
    ['one item per line', 'x = {\n    a,\n    b,\n}\n', 'x = {\n    a,\n    b,\n    c,\n}\n'],
    ['one per line, no trailing comma', 'x = {\n  a,\n  b\n}\n', 'x = {\n  a,\n  b,\n  c\n}\n'],
    [
      'a comment after the last item stays on its line',
      'x = {\n  a, -- first\n  b, -- second\n}\n',
      'x = {\n  a, -- first\n  b, -- second\n  c,\n}\n',
    ],
    ['the closing brace on the last line', 'x = {\n  a,\n  b }\n', 'x = {\n  a,\n  b,\n  c }\n'],
    ['a commented-out item before the brace', 'x = {\n  a,\n  -- b,\n}\n', 'x = {\n  a,\n  c,\n  -- b,\n}\n'],
  ])('appends to %s in its own layout', async (_, before, after) => {
    expect(await editTable(before, append('c'))).toBe(after);
  });

  it('appends several items and CRLF line endings stay CRLF', async () => {
    const before = 'x = {\r\n  a,\r\n}\r\n';
    expect(await editTable(before, append('b', 'c'))).toBe('x = {\r\n  a,\r\n  b,\r\n  c,\r\n}\r\n');
  });

  it("appends a field with the table's own spacing around =", async () => {
    const field = (text: string, table: LuaNode, root: LuaNode) =>
      appendItems(text, table, detectStyle(text, root, table), [fieldItem('mods', '"CMD"')]);
    expect(await editTable('k = {key="s"}', field)).toBe('k = {key="s", mods="CMD"}');
    expect(await editTable('k = { key = "s" }', field)).toBe('k = { key = "s", mods = "CMD" }');
  });

  it.each([
    [
      'its whole line, with the comment on it',
      'x = {\n  a,\n  b, -- gone\n  c,\n}\n',
      'x = {\n  a,\n  c,\n}\n',
    ],
    ['inline, with its separator', 'x = { a, b, c }\n', 'x = { a, c }\n'],
    ['the last inline item', 'x = { a, b }\n', 'x = { a, }\n'],
  ])('removes an item: %s', async (_, before, after) => {
    const remove = (text: string, table: LuaNode) => [removeItem(text, table, tableFields(table)[1]!)];
    expect(await editTable(before, remove)).toBe(after);
  });

  it('writes strings in the quote style asked for, escaped for Lua', () => {
    expect(luaString('lima-default', "'")).toBe("'lima-default'");
    expect(luaString(`it's "x"`, "'")).toBe(`'it\\'s "x"'`);
    expect(luaString('a\\b\n', '"')).toBe('"a\\\\b\\n"');
  });

  it('finds the quote style of the table being edited first, then of the file', async () => {
    const text = 'local a = "x"\nlocal b = "y"\nlocal t = { \'p\', \'q\' }\nlocal u = {}\n';
    const quotes = await withLuaTree(text, 't.lua', (root) => {
      const [t, u] = [...walk(root)].filter((node) => node.type === 'table_constructor');
      return [detectStyle(text, root, t).quote, detectStyle(text, root, u).quote];
    });
    expect(quotes).toEqual(["'", '"']);
  });
});
