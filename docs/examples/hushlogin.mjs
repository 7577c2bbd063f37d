// @ts-check — your editor (and tsc) check this JavaScript against asc's types.
// asc-plugins/hushlogin.mjs — no "Last login" banner in new macOS terminals, with doctor and uninstall.
import { definePlugin, drift, ok, skip } from 'ascalon';

/** @param {import('ascalon').AscTaskContext} t */
const hushlogin = (t) => `${t.host.home}/.hushlogin`;

/**
 * macOS reads ~/.hushlogin; elsewhere the task has no meaning: skipped, not failed.
 * @param {import('ascalon').AscTaskContext} t
 */
async function notAMac(t) {
  const { platform } = await t.host.facts();
  return platform === 'darwin' ? undefined : `not a Mac (uname -s says ${platform})`;
}

export default definePlugin({
  name: 'hushlogin',
  description: 'No "Last login" banner in new terminals',
  tasks: () => [
    {
      id: 'file',
      title: '~/.hushlogin exists',
      async check(t) {
        const why = await notAMac(t);
        if (why) return skip(why);
        return (await t.files.read(hushlogin(t))) === undefined ? drift('~/.hushlogin is missing') : ok();
      },
      async apply(t) {
        await t.files.write(hushlogin(t), '');
        // Remember what asc made, so that `asc uninstall` removes it and nothing the user made.
        await t.state.set('created', true);
        return 'created ~/.hushlogin'; // the report's reason for `changed`
      },
    },
  ],
  uninstall: () => [
    {
      id: 'file',
      title: 'the ~/.hushlogin asc made is gone',
      // "Already undone?": ok when there is nothing of asc's left.
      async check(t) {
        if (!(await t.state.get('created'))) return ok('asc made no ~/.hushlogin');
        if ((await t.files.read(hushlogin(t))) === undefined) return ok();
        return drift('~/.hushlogin was made by asc: it would be removed');
      },
      async apply(t) {
        await t.files.remove(hushlogin(t)); // backed up first, like every write
        await t.state.delete('created');
      },
    },
  ],
  doctor: () => [
    {
      id: 'file',
      title: '~/.hushlogin',
      async run(t) {
        const why = await notAMac(t);
        if (why) return { status: 'warn', message: why, fix: 'run asc on the Mac' };
        if ((await t.files.read(hushlogin(t))) !== undefined)
          return { status: 'ok', message: 'new terminals show no "Last login" banner' };
        return { status: 'warn', message: '~/.hushlogin is missing', fix: 'asc run hushlogin' };
      },
    },
  ],
});
