import { AscError, type AscTask, type AscTaskContext, cannotFix, drift, ok } from '../../src/index.ts';
import {
  guestProbe,
  healForward,
  linkPath,
  linkTask,
  markStale,
  OS_ID_SCRIPT,
  parseProbe,
  readLink,
  socketProbeLines,
  waitAfterBoot,
} from '../lima/api.ts';
import { DOCKER, daemonTarget, hostDaemon } from './daemon.ts';
import type { DockerOptions } from './options.ts';

/** Fact names as every plugin's facts are keyed: `<plugin>.<fact>`. */
export const FACT_OS = 'docker.os';
export const FACT_CLI = 'docker.cli';
export const FACT_PROBE = 'docker.probe';

export const OS_SCRIPT = OS_ID_SCRIPT;
export const CLI_SCRIPT = 'command -v docker';
/**
 * What the guest end looks like, and `docker version` through it with DOCKER_HOST set explicitly (so a
 * missing variable and a dead forward are told apart), plus DOCKER_HOST as guest shells have it.
 */
export const PROBE_SCRIPT = [
  socketProbeLines(DOCKER.guestFile),
  `printf 'env=%s\\n' "$DOCKER_HOST"`,
  'if command -v docker >/dev/null 2>&1; then',
  `  out=$(DOCKER_HOST="unix://$s" timeout 10 docker version --format '{{.Server.Version}}' 2>&1)`,
  `  printf 'exit=%s\\n' "$?"`,
  `  printf '%s\\n' "$out" | sed -n '1,4s/^/out=/p'`,
  'else echo exit=127; fi',
].join('\n');

const NIXOS_CLI =
  'the docker CLI comes from your NixOS flake (the nixos plugin): add pkgs.docker-client to environment.systemPackages';

export function dockerTasks(options: DockerOptions): AscTask[] {
  return [
    linkTask(
      'host-socket',
      "the VM's Docker forward leads to the daemon's socket on the Mac",
      DOCKER,
      (t, now) => daemonTarget(t, options, now),
      [FACT_PROBE],
    ),
    {
      id: 'guest-cli',
      title: 'the docker CLI is in the VM',
      phase: 'phase2',
      needs: ['lima.running'],
      async check(t) {
        const cli = await guestProbe(t, FACT_CLI, CLI_SCRIPT);
        if (cli) return ok(cli);
        if ((await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos')
          return drift(`no docker CLI in the VM: ${NIXOS_CLI}`);
        return drift('no docker CLI in the VM: apt-get would install it');
      },
      async apply(t) {
        if ((await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos') {
          throw new AscError('no docker CLI in the VM, and asc does not install packages on NixOS', {
            code: 'E_REFUSED',
            hint: NIXOS_CLI,
          });
        }
        await installCli(t);
        await markStale(t, FACT_CLI);
        await markStale(t, FACT_PROBE);
      },
    },
    {
      id: 'works',
      title: 'docker in the VM reaches the daemon on the Mac',
      phase: 'phase2',
      needs: ['lima.running', 'docker.guest-cli', 'docker.host-socket'],
      async check(t) {
        const found = await assess(t, options);
        if (found.kind === 'ok') return ok(found.detail);
        // Only a dead forward is this task's to repair; the rest is the user's (or another task's).
        return found.kind === 'forward' ? drift(found.reason) : cannotFix(found.reason, found.hint);
      },
      async apply(t) {
        let found = await assess(t, options);
        if (found.kind === 'ok') return;
        if (found.kind !== 'forward') {
          throw new AscError(found.reason, { code: 'E_COMMAND_FAILED', hint: found.hint });
        }
        const { guestSocket, link } = found;
        await markStale(t, FACT_PROBE);
        const settled = await waitAfterBoot(
          t,
          found.uptime,
          async () => (await assess(t, options)).kind === 'ok',
        );
        if (settled) return;
        await healForward(t, guestSocket, link);
        found = await assess(t, options);
        if (found.kind !== 'ok' && found.kind !== 'forward') {
          throw new AscError(found.reason, { code: 'E_COMMAND_FAILED', hint: found.hint });
        }
      },
    },
  ];
}

/**
 * Ubuntu's client-only package is docker-cli where the release has it (Debian's docker.io source splits
 * it out); older releases only have docker.io, which also brings a daemon the VM does not need.
 */
async function installCli(t: AscTaskContext): Promise<void> {
  const long = { timeoutMs: 15 * 60_000 };
  await t.guest.run(['sudo', '-n', 'apt-get', 'update', '-qq'], long);
  const options = ['install', '-y', '-qq', '--no-install-recommends'];
  const cli = await t.guest.run(['sudo', '-n', 'apt-get', ...options, 'docker-cli'], {
    ...long,
    okCodes: [0, 100],
  });
  if (cli.exitCode === 0) return;
  if (!/Unable to locate package/.test(cli.stderr)) {
    throw new AscError(
      `apt-get could not install docker-cli in the VM: ${cli.stderr.trim().split('\n').at(-1)}`,
      {
        code: 'E_COMMAND_FAILED',
        hint: 'run `lima sudo apt-get install docker-cli` to see why',
      },
    );
  }
  t.log.warn(
    "this Ubuntu has no docker-cli package: installing docker.io, which also brings a Docker daemon; DOCKER_HOST still points at the Mac's",
  );
  await t.guest.run(['sudo', '-n', 'apt-get', ...options, 'docker.io'], long);
}

/** What the chain Mac daemon → link → forward → guest socket → CLI looks like, naming the broken link. */
type Assessment =
  | { kind: 'ok'; detail: string }
  | { kind: 'forward'; reason: string; guestSocket: string; link: string; uptime: number | undefined }
  | { kind: 'broken'; reason: string; hint: string };

async function assess(t: AscTaskContext, options: DockerOptions): Promise<Assessment> {
  // The guest's side, the link and the Mac's daemon are read at once, none waiting for another's call.
  const linked = linkPath(t, DOCKER).then(async (link) => ({ link, now: await readLink(t, link) }));
  const current = linked.then(({ now }) => (now.kind === 'link' ? now.target : undefined));
  current.catch(() => undefined);
  const daemonRead = hostDaemon(t, options, current);
  const [text, { link }, daemon] = await Promise.all([
    guestProbe(t, FACT_PROBE, PROBE_SCRIPT),
    linked,
    daemonRead,
  ]);
  const probe = parseProbe(text);
  const home = probe.home ?? '';
  const guestSocket = `${home}/${DOCKER.guestFile}`;
  if (probe.exit === '127') {
    return { kind: 'broken', reason: 'no docker CLI in the VM', hint: 'run `asc run docker.guest-cli`' };
  }
  // The Mac side first: a daemon that is down is never mistaken for a dead forward.
  if (!daemon.answers) return { kind: 'broken', reason: daemon.reason, hint: daemon.hint };
  const out = probe.out ?? '';
  if (probe.exit === '0') {
    const want = `unix://${guestSocket}`;
    if ((probe.env ?? '') !== want) {
      const nixos = (await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos';
      return {
        kind: 'broken',
        reason: `docker works through ${guestSocket}, but DOCKER_HOST in guest shells is ${probe.env ? `"${probe.env}"` : 'unset'}, not "${want}"`,
        hint: nixos
          ? `NixOS does not read /etc/environment (its pam_env runs with readenv=0): set DOCKER_HOST = "${want}" in your flake (the nixos plugin)`
          : 'asc sets it in lima.yaml `env` (the guest /etc/environment): is it overridden in a shell rc file, or was the VM not restarted since (`asc run lima.config --yes`)?',
      };
    }
    return { kind: 'ok', detail: `Docker ${out} through ${guestSocket}` };
  }
  const uptime = probe.uptime ? Number.parseFloat(probe.uptime) : undefined;
  const forward = (reason: string): Assessment => ({ kind: 'forward', reason, guestSocket, link, uptime });
  if (probe.socket === 'no') return forward(`no forward in the VM: ${guestSocket} does not exist`);
  if (probe.socket === 'other') return forward(`no forward in the VM: ${guestSocket} is not a socket`);
  if (
    /Cannot connect to the Docker daemon|EOF|connection refused|no such file or directory/i.test(out) ||
    probe.exit === '124'
  ) {
    return forward(
      `the forward in the VM does not answer (${guestSocket}), while the daemon answers on the Mac: Lima's ssh master died (the Mac slept?)`,
    );
  }
  return {
    kind: 'broken',
    reason: `the Docker daemon refused: ${out.split('\n')[0] || `docker version exited ${probe.exit}`}`,
    hint: `run \`lima docker version\` to see the whole answer`,
  };
}
