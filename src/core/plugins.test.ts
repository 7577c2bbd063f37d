import { describe, expect, it } from 'vitest';
import { builtinPlugins } from '../../plugins/index.ts';
import { pluginNameProblem } from './plugins.ts';

describe('plugin names', () => {
  it('every built-in plugin has a name asc accepts', () => {
    expect(builtinPlugins.map((plugin) => [plugin.name, pluginNameProblem(plugin.name)])).toEqual(
      builtinPlugins.map((plugin) => [plugin.name, undefined]),
    );
  });

  it('accepts plain words, refuses what is not one or is another target', () => {
    expect(pluginNameProblem('shell-env')).toBeUndefined();
    expect(pluginNameProblem('x2')).toBeUndefined();
    for (const name of ['', 'Echo', '2x', '-x', 'a_b', 'a.b', 'a b', 'é'])
      expect(pluginNameProblem(name)).toMatch(/lower-case/);
    for (const name of ['core', 'all', 'phase1', 'phase12']) expect(pluginNameProblem(name)).toMatch(/^"/);
  });
});
