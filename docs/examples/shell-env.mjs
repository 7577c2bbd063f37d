// @ts-check — your editor (and tsc) check this JavaScript against asc's types.
// asc-plugins/shell-env.mjs — an external asc plugin: one sourced file of environment variables.
import { definePlugin, drift, ok } from 'ascalon';
import { z } from 'zod';

const options = z
  .object({
    file: z.string().default('~/.config/ascalon/env.sh').describe('The file to write; `~` is your home.'),
    vars: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'a variable name is upper-case'), z.string())
      .default({})
      .describe('Name → value, exported in that file.'),
  })
  .strict();

/**
 * The whole file, from the options alone: the same input always gives the same text.
 * @param {Record<string, string>} vars
 */
function render(vars) {
  const quote = (/** @type {string} */ value) => `'${value.replaceAll("'", `'\\''`)}'`;
  const lines = Object.entries(vars)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `export ${name}=${quote(value)}`);
  return ['# Written by asc (shell-env plugin). Edit .ascrc.yaml, not this file.', ...lines, ''].join('\n');
}

export default definePlugin({
  name: 'shell-env',
  description: 'A sourced file of environment variables',
  options,
  tasks(opts, ctx) {
    const file = opts.file.replace(/^~(?=\/|$)/, ctx.home);
    const desired = render(opts.vars);
    return [
      {
        id: 'file',
        title: `${opts.file} exports ${Object.keys(opts.vars).length} variable(s)`,
        phase: 'phase4',
        async check(t) {
          const diff = await t.files.diff(file, desired);
          return diff === undefined ? ok() : drift(`${opts.file} differs`, diff);
        },
        async apply(t) {
          const { backup } = await t.files.write(file, desired, {
            mode: 0o644,
            // `sh -n` parses without running: a file that would break every new shell is never written.
            validate: async (temp) => {
              await t.exec.query('sh', ['-n', temp]);
            },
          });
          if (backup) t.log.info(`the old file is in ${backup}`);
        },
        notify: ['shell-env.reload'],
      },
    ];
  },
  handlers: () => [
    {
      id: 'reload',
      title: 'Reload the environment in tmux',
      async run(t) {
        // Runs once, and only when a task that notifies it changed something.
        if (!(await t.exec.which('tmux'))) return;
        // tmux exits 1 when no server is running: nothing to reload then, which is fine.
        await t.exec.run('tmux', ['source-file', '-q', `${t.host.home}/.tmux.conf`], { okCodes: [0, 1] });
      },
    },
  ],
});
