import path from 'node:path';
import semver from 'semver';
import { AscError, type AscTask, drift, ok, parseDuration } from '../../src/index.ts';
import { createVm, startVm } from './lifecycle.ts';
import { creationYaml } from './lima-yaml.ts';
import { limaHome, limaState, limaVersion, MIN_VERSION, MIN_VERSION_CREATE } from './limactl.ts';
import { recordManaged } from './managed.ts';
import type { LimaOptions } from './options.ts';
import { checkInstanceSockets } from './sockets.ts';

/** `lima.installed`, `lima.instance` and `lima.running`: Lima is there, the instance exists, and it answers. */
export function instanceTasks(
  options: LimaOptions,
  instance: string,
): { installed: AscTask; created: AscTask; running: AscTask } {
  const timeout = { text: options.startTimeout, ms: parseDuration(options.startTimeout) };
  return {
    installed: {
      id: 'installed',
      title: `limactl ${MIN_VERSION} or newer`,
      phase: 'phase1',
      async check(t) {
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION)) {
          return drift(
            `limactl ${version} is older than ${MIN_VERSION} (asc needs --tty=false and reverse socket forwards)`,
          );
        }
        return ok(`limactl ${version}`);
      },
      async apply(t) {
        const version = await limaVersion(t);
        throw new AscError(`limactl ${version} is too old: asc needs ${MIN_VERSION} or newer`, {
          code: 'E_TOOL_MISSING',
          hint: 'upgrade it with `brew upgrade lima`',
        });
      },
    },
    created: {
      id: 'instance',
      title: `instance ${instance} exists`,
      phase: 'phase1',
      needs: ['lima.installed'],
      async check(t) {
        if (await (await limaState(t)).instance(t, instance)) return ok();
        checkInstanceSockets(t, instance, path.join(limaHome(t), instance));
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION_CREATE)) {
          return drift(
            `no instance named ${instance}, and limactl ${version} cannot create it from \`base: ${options.base}\``,
          );
        }
        const spec = creationYaml(t.vm, options.base);
        const file = path.join(limaHome(t), instance, 'lima.yaml');
        return drift(`no instance named ${instance}`, await t.files.diff(file, spec));
      },
      async apply(t) {
        const version = await limaVersion(t);
        if (semver.lt(version, MIN_VERSION_CREATE)) {
          throw new AscError(
            `limactl ${version} cannot create ${instance}: asc creates it from \`base: ${options.base}\`, which needs Lima ${MIN_VERSION_CREATE} or newer`,
            {
              code: 'E_TOOL_MISSING',
              hint: `upgrade with \`brew upgrade lima\`, or create it yourself (\`limactl create --name=${instance}\`) and run asc again`,
            },
          );
        }
        await createVm(t, instance, creationYaml(t.vm, options.base));
        await recordManaged(t, instance, t.vm);
        // A plugin's images (the nixos plugin's) replace `base:` in a new instance.
        return `created ${instance} from ${t.vm.images[0]?.location ?? options.base}`;
      },
    },
    running: {
      id: 'running',
      title: `VM ${instance} runs and answers`,
      phase: 'phase1',
      needs: ['lima.config'],
      async check(t) {
        // `Running` only means the processes are alive; one guest round trip proves it answers. Both are
        // asked at once: a converged run pays one of them, not the two one after the other.
        const [found, answer] = await Promise.all([
          limaState(t).then((state) => state.instance(t, instance)),
          t.guest.facts().then(
            () => undefined,
            (error: Error) => error,
          ),
        ]);
        if (!found) return drift(`no instance named ${instance}`);
        if (found.status !== 'Running') return drift(`status is ${found.status || 'unknown'}`);
        if (answer) return drift(`status is Running but limactl shell does not answer: ${answer.message}`);
        return ok();
      },
      async apply(t) {
        const found = await (await limaState(t)).instance(t, instance);
        await startVm(t, instance, found?.dir ?? path.join(limaHome(t), instance), timeout);
        return `started ${instance}`;
      },
    },
  };
}
