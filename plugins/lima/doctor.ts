import semver from 'semver';
import { ALL_EXIT_CODES, type AscDoctorCheck, AscError, type AscTaskContext } from '../../src/index.ts';
import {
  hostAlias,
  INSTALL_HINT,
  LIMACTL,
  limaState,
  limaVersion,
  MIN_VERSION,
  MIN_VERSION_CREATE,
} from './limactl.ts';
import { includeLine, includeProblems } from './ssh-config.ts';
import { sshPaths } from './ssh-tasks.ts';

/** A guest clock this far from the Mac's means the VM missed time while the Mac slept. */
const CLOCK_SKEW_S = 30;

/** The lima plugin's rows for `asc doctor`: limactl, the instance, the ssh Include and port, the guest clock. */
export function limaDoctor(instance: string): AscDoctorCheck[] {
  const alias = hostAlias(instance);
  return [
    {
      id: 'limactl',
      title: 'limactl',
      async run(t) {
        let version: string;
        try {
          version = await limaVersion(t);
        } catch (error) {
          if (error instanceof AscError && error.code === 'E_TOOL_MISSING') {
            return { status: 'fail', message: error.message, fix: INSTALL_HINT };
          }
          throw error;
        }
        if (semver.lt(version, MIN_VERSION)) {
          return {
            status: 'fail',
            message: `limactl ${version}: asc needs ${MIN_VERSION} or newer`,
            fix: 'brew upgrade lima',
          };
        }
        if (semver.lt(version, MIN_VERSION_CREATE) && !(await (await limaState(t)).instance(t, instance))) {
          return {
            status: 'warn',
            message: `limactl ${version} manages an instance, but creating ${instance} needs ${MIN_VERSION_CREATE}`,
            fix: 'brew upgrade lima',
          };
        }
        return {
          status: 'ok',
          message: `limactl ${version} (asc needs ${MIN_VERSION}; creating needs ${MIN_VERSION_CREATE})`,
        };
      },
    },
    {
      id: 'instance',
      title: `instance ${instance}`,
      async run(t) {
        const found = await (await limaState(t)).instance(t, instance);
        if (!found)
          return { status: 'fail', message: `no instance named ${instance}`, fix: 'asc run phase1' };
        if (found.status === 'Running')
          return { status: 'ok', message: `${instance} is Running (${found.dir})` };
        return {
          status: found.status === 'Stopped' ? 'warn' : 'fail',
          message: `${instance} is ${found.status || 'in an unknown state'}`,
          fix:
            found.status === 'Broken'
              ? `limactl stop -f ${instance} && limactl start ${instance} (see ${found.dir}/ha.stderr.log)`
              : `limactl start ${instance} (or asc run phase1)`,
        };
      },
    },
    {
      id: 'ssh-include',
      title: '~/.ssh/config Include',
      async run(t) {
        const { file, target } = sshPaths(t, instance);
        const problems = includeProblems((await t.files.read(file)) ?? '', target);
        if (problems.found)
          return { status: 'ok', message: `${file} includes ${target} before any Host or Match` };
        return {
          status: problems.readableByOpenSsh ? 'warn' : 'fail',
          message: problems.why,
          fix: `asc run lima.ssh-include, or add this line to ${file} before its first Host or Match line:\n${includeLine(target)}`,
        };
      },
    },
    {
      id: 'ssh-port',
      title: `ssh ${alias} port`,
      async run(t) {
        const found = await (await limaState(t)).instance(t, instance);
        if (found?.status !== 'Running' || !found.sshLocalPort) {
          return {
            status: 'warn',
            message: `${instance} is not running: no port to compare`,
            fix: `limactl start ${instance}`,
          };
        }
        const { file } = sshPaths(t, instance);
        const resolved = await t.exec.query('ssh', ['-G', '-F', file, alias], {
          timeoutMs: 15_000,
          okCodes: ALL_EXIT_CODES,
        });
        const port = Number(/^port (\d+)$/m.exec(resolved.stdout)?.[1]);
        if (port === found.sshLocalPort)
          return { status: 'ok', message: `ssh ${alias} resolves to 127.0.0.1:${port}, Lima's port` };
        return {
          status: 'fail',
          message: `ssh -G ${alias} resolves to port ${port || '?'}, but Lima's VM listens on ${found.sshLocalPort}: a Host block or option before the Include wins`,
          fix: `move the Include line above every Host and Match block in ${file}, and remove any fixed Port for ${alias}`,
        };
      },
    },
    {
      id: 'clock',
      title: 'guest clock',
      async run(t) {
        const found = await (await limaState(t)).instance(t, instance);
        if (found?.status !== 'Running')
          return { status: 'warn', message: `${instance} is not running`, fix: `limactl start ${instance}` };
        const skew = await clockSkew(t);
        if (Math.abs(skew) <= CLOCK_SKEW_S)
          return { status: 'ok', message: `the guest clock is within ${CLOCK_SKEW_S}s of the Mac's` };
        return {
          status: 'warn',
          message: `the guest clock is ${Math.abs(skew)}s ${skew > 0 ? 'ahead of' : 'behind'} the Mac's (a VM misses time while the Mac sleeps)`,
          fix: `${LIMACTL} shell ${instance} sudo systemctl restart systemd-timesyncd (or chronyd), or ${LIMACTL} restart ${instance}`,
        };
      },
    },
  ];
}

/** Guest seconds minus the Mac's, from the shared guest facts (one round trip for every row). */
async function clockSkew(t: AscTaskContext): Promise<number> {
  const before = Date.now() / 1000;
  const guest = Number((await t.guest.facts())['lima.clock']);
  const after = Date.now() / 1000;
  if (!Number.isFinite(guest))
    throw new AscError('the guest did not say its time (`date +%s`)', { code: 'E_GUEST' });
  // The facts may have been read earlier in the run: compare with the nearer end of the wait.
  const mac = Math.abs(guest - before) < Math.abs(guest - after) ? before : after;
  return Math.round(guest - mac);
}
