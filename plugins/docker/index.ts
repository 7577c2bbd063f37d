import { type AscDoctorCheck, definePlugin, displayPath } from '../../src/index.ts';
import { currentLink, forwardRule, guestSocketTemplate, limaState, removeLinkTask } from '../lima/api.ts';
import { DOCKER, hostDaemon } from './daemon.ts';
import { dockerAbout } from './entry.ts';
import type { DockerOptions } from './options.ts';
import { CLI_SCRIPT, dockerTasks, FACT_PROBE, OS_SCRIPT, PROBE_SCRIPT } from './tasks.ts';

/**
 * The Mac's Docker daemon (Colima's) inside the VM: a reverse socket forward to ~/.asc-docker.sock in the
 * guest, DOCKER_HOST pointing at it in every guest shell, the docker CLI in the guest, and a check that
 * re-creates the forward when the Mac's sleep killed it.
 */
export const dockerPlugin = definePlugin<DockerOptions>({
  ...dockerAbout,
  tools: {
    colima: { install: 'brew install colima' },
    ssh: { macOS: '/usr/bin/ssh' },
  },
  guestFacts: { os: OS_SCRIPT, cli: CLI_SCRIPT, probe: PROBE_SCRIPT },
  vm(spec) {
    // A unix socket in a mounted folder cannot be connected to from the guest (lima#834, lima#648):
    // the daemon's socket comes in through a reverse forward instead.
    spec.portForwards.push(forwardRule(DOCKER));
    spec.env.DOCKER_HOST = `unix://${guestSocketTemplate(DOCKER)}`;
  },
  tasks: (options) => dockerTasks(options),
  doctor: (options) => dockerDoctor(options),
  uninstall: () => [removeLinkTask('host-socket', "asc's link to the Docker socket is gone", DOCKER)],
});

function dockerDoctor(options: DockerOptions): AscDoctorCheck[] {
  return [
    {
      id: 'daemon',
      title: 'the Docker daemon on the Mac',
      async run(t) {
        const now = await currentLink(t, DOCKER);
        const daemon = await hostDaemon(t, options, now.kind === 'link' ? now.target : undefined);
        const at = displayPath(daemon.target.socket, t.host.home);
        if (daemon.answers)
          return { status: 'ok', message: `a Docker daemon answers at ${at} (${daemon.target.source})` };
        return { status: 'fail', message: daemon.reason, fix: daemon.hint };
      },
    },
    {
      id: 'forward',
      title: 'docker in the VM, through the forward',
      async run(t) {
        const found = await (await limaState(t)).instance(t, t.config.instance);
        if (found?.status !== 'Running') {
          return {
            status: 'warn',
            message: `the VM ${t.config.instance} is not running: the forward cannot be checked`,
            fix: 'asc run lima.running',
          };
        }
        const facts = await t.guest.facts();
        const probe = facts[FACT_PROBE] ?? '';
        const exit = /^exit=(\d+)$/m.exec(probe)?.[1];
        const socket = /^socket=(\w+)$/m.exec(probe)?.[1];
        if (exit === '0') return { status: 'ok', message: 'docker version in the VM reaches the daemon' };
        if (exit === '127')
          return { status: 'fail', message: 'no docker CLI in the VM', fix: 'asc run docker.guest-cli' };
        return {
          status: 'fail',
          message:
            socket === 'yes'
              ? 'the forwarded socket in the VM does not answer (a sleep of the Mac kills the forward, lima#5420)'
              : 'no forwarded Docker socket in the VM',
          fix: 'asc run docker.works (it re-creates the forward without restarting the VM)',
        };
      },
    },
  ];
}
