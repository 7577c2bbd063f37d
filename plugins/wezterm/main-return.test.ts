import { describe, expect, it } from 'vitest';
import { AscError } from '../../src/index.ts';
import { planMain, unwrapMain } from './main-return.ts';

const OPTION = 'plugins.wezterm.configFile';
const plan = (text: string) => planMain(text, '~/.wezterm.lua', OPTION);
async function refusal(text: string): Promise<AscError> {
  const error = await plan(text).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AscError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('the one edit of the main config file', () => {
  it.each([
    [
      'return config',
      'local config = {}\nreturn config\n',
      'local config = {}\nreturn require("ascalon")(config)\n',
    ],
    [
      'a table literal over lines, CRLF, tabs and a comment after it',
      'return {\r\n\tfont_size = 14,\r\n} -- mine\r\n',
      'return require("ascalon")({\r\n\tfont_size = 14,\r\n}) -- mine\r\n',
    ],
    [
      "a module's result and a trailing semicolon",
      'return require("config");\n',
      'return require("ascalon")(require("config"));\n',
    ],
    [
      'a merge of tables, with a function defined before it',
      'local function f() return 1 end\nreturn utils.merge(table.unpack(modules))',
      'local function f() return 1 end\nreturn require("ascalon")(utils.merge(table.unpack(modules)))',
    ],
  ])('%s: wrapped once, converged after, and unwrapped byte for byte', async (_, before, after) => {
    const first = await plan(before);
    expect(first).toMatchObject({ state: 'wrap', text: after });
    expect(await plan(after)).toMatchObject({ state: 'wrapped' });
    expect((await unwrapMain(after, 'x'))?.text).toBe(before);
    expect(await unwrapMain(before, 'x')).toBeUndefined();
  });

  it('a file with no final top-level return is refused with the line to end it with', async () => {
    const error = await refusal('local config = {}\nconfig.font_size = 12\n');
    expect(error.message).toBe(
      '~/.wezterm.lua does not end with a top-level `return` of the config; asc changed nothing',
    );
    expect(error.hint).toContain('  return require("ascalon")(config)');
  });

  it('a return inside a branch is refused with each return written as asc would; written so, it is converged', async () => {
    const text = 'local c = {}\nif os.getenv("WORK") then\n  return { font_size = 10 }\nend\nreturn c\n';
    const error = await refusal(text);
    expect(error.message).toMatch(/^~\/\.wezterm\.lua returns from inside a branch \(line 3\)/);
    expect(error.hint).toContain('  line 3:   return require("ascalon")({ font_size = 10 })');
    expect(error.hint).toContain('  line 5: return require("ascalon")(c)');
    const byHand = text.replace('return { font_size = 10 }', 'return require("ascalon")({ font_size = 10 })');
    const fixed = byHand.replace('return c', 'return require("ascalon")(c)');
    expect(await plan(fixed)).toMatchObject({ state: 'wrapped' });
    expect((await unwrapMain(fixed, 'x'))?.text).toBe(text);
  });

  it("returns inside functions are the functions' own, not the file's", async () => {
    const text = 'local function pick() if x then return 1 end return 2 end\nreturn { v = pick() }\n';
    expect(await plan(text)).toMatchObject({ state: 'wrap', line: 2 });
  });

  it("a module's file (M.setup, return M) is refused: configFile must name the file WezTerm loads", async () => {
    const error = await refusal('local M = {}\nfunction M.setup(config) config.keys = {} end\nreturn M\n');
    expect(error.message).toBe(
      "~/.wezterm.lua returns the module M (it defines functions on it), not WezTerm's config; asc changed nothing",
    );
    expect(error.hint).toMatch(/^set plugins\.wezterm\.configFile to the file WezTerm loads/);
  });

  it('two returned values are refused', async () => {
    expect((await refusal('return config, 2\n')).message).toMatch(/gives 2 values, not one config/);
  });

  it('the lines to write by hand for a multi-line return are its first and last lines', async () => {
    const result = await plan('return {\n  a = 1,\n}\n');
    expect(result).toMatchObject({
      state: 'wrap',
      byHand: 'line 1: return require("ascalon")({\nline 3: })',
    });
  });
});
