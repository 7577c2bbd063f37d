import {
  AscError,
  type AscTask,
  type AscTaskContext,
  cannotFix,
  displayPath,
  drift,
  ok,
} from '../../src/index.ts';
import {
  guestProbe,
  healForward,
  linkPath,
  linkTask,
  markStale,
  OS_ID_SCRIPT,
  parseProbe,
  socketProbeLines,
  waitAfterBoot,
} from '../lima/api.ts';
import { AGENT, agentTarget, fingerprints, hostAgent } from './agent.ts';
import type { OnePasswordOptions } from './options.ts';

export const FACT_OS = 'onepassword.os';
export const FACT_AGENT = 'onepassword.agent';

export const OS_SCRIPT = OS_ID_SCRIPT;
/** The guest end, `ssh-add -l` through it with SSH_AUTH_SOCK set explicitly, and SSH_AUTH_SOCK as shells have it. */
export const AGENT_SCRIPT = [
  socketProbeLines(AGENT.guestFile),
  `printf 'env=%s\\n' "$SSH_AUTH_SOCK"`,
  'if command -v ssh-add >/dev/null 2>&1; then',
  '  out=$(SSH_AUTH_SOCK="$s" timeout 10 ssh-add -l 2>&1)',
  `  printf 'exit=%s\\n' "$?"`,
  `  printf '%s\\n' "$out" | sed -n '1,50s/^/out=/p'`,
  'else echo exit=127; fi',
].join('\n');

export function agentTasks(options: OnePasswordOptions): AscTask[] {
  return [
    linkTask(
      'agent-socket',
      "the VM's agent forward leads to the SSH agent on the Mac",
      AGENT,
      (t) => agentTarget(t, options),
      [FACT_AGENT],
    ),
    {
      id: 'agent-works',
      title: 'ssh-add -l in the VM lists the keys of the agent on the Mac',
      phase: 'phase2',
      needs: ['lima.running', 'onepassword.agent-socket'],
      async check(t) {
        const found = await assess(t, options);
        if (found.kind === 'ok') return ok(found.detail);
        // Only a dead forward is this task's to repair; the rest is the user's (or another task's).
        return found.kind === 'forward' ? drift(found.reason) : cannotFix(found.reason, found.hint);
      },
      async apply(t) {
        let found = await assess(t, options);
        if (found.kind === 'ok') return;
        if (found.kind !== 'forward')
          throw new AscError(found.reason, { code: 'E_COMMAND_FAILED', hint: found.hint });
        const { guestSocket, link } = found;
        await markStale(t, FACT_AGENT);
        if (await waitAfterBoot(t, found.uptime, async () => (await assess(t, options)).kind === 'ok'))
          return;
        await healForward(t, guestSocket, link);
        found = await assess(t, options);
        if (found.kind === 'broken')
          throw new AscError(found.reason, { code: 'E_COMMAND_FAILED', hint: found.hint });
      },
    },
  ];
}

type Assessment =
  | { kind: 'ok'; detail: string }
  | { kind: 'forward'; reason: string; guestSocket: string; link: string; uptime: number | undefined }
  | { kind: 'broken'; reason: string; hint: string };

async function assess(t: AscTaskContext, options: OnePasswordOptions): Promise<Assessment> {
  // The guest's side, the Mac's agent and the link are read at once, none waiting for another's call.
  const [text, agent, link] = await Promise.all([
    guestProbe(t, FACT_AGENT, AGENT_SCRIPT),
    hostAgent(t, options),
    linkPath(t, AGENT),
  ]);
  const probe = parseProbe(text);
  const guestSocket = `${probe.home ?? ''}/${AGENT.guestFile}`;
  if (probe.exit === '127') {
    return {
      kind: 'broken',
      reason: 'no ssh-add in the VM',
      hint: "install OpenSSH's client in the VM (`lima sudo apt-get install openssh-client`)",
    };
  }
  // The Mac side first: an agent that is off is never mistaken for a dead forward.
  if (!agent.answers) return { kind: 'broken', reason: agent.reason, hint: agent.hint };
  const out = probe.out ?? '';
  if (probe.exit === '0' || probe.exit === '1') {
    const inVm = probe.exit === '0' ? fingerprints(out) : [];
    if (inVm.join(' ') !== agent.fingerprints.join(' ')) {
      return {
        kind: 'broken',
        reason: `the agent in the VM lists ${inVm.length} key(s), the one at ${displayPath(agent.target.socket, t.host.home)} ${agent.fingerprints.length}`,
        hint: 'run `asc run onepassword.agent-socket` (the forward may lead to another agent), then `lima ssh-add -l`',
      };
    }
    if ((probe.env ?? '') !== guestSocket) {
      const nixos = (await guestProbe(t, FACT_OS, OS_SCRIPT)) === 'nixos';
      return {
        kind: 'broken',
        reason: `the agent answers at ${guestSocket}, but SSH_AUTH_SOCK in guest shells is ${probe.env ? `"${probe.env}"` : 'unset'}`,
        hint: nixos
          ? `NixOS does not read /etc/environment (its pam_env runs with readenv=0): set SSH_AUTH_SOCK = "${guestSocket}" in your flake (the nixos plugin)`
          : 'an ssh client that forwards its own agent (ForwardAgent, or lima `ssh.forwardAgent: true`) sets SSH_AUTH_SOCK for its session; turn that off, or check your shell rc files',
      };
    }
    return { kind: 'ok', detail: `${inVm.length} key(s) through ${guestSocket}` };
  }
  const uptime = probe.uptime ? Number.parseFloat(probe.uptime) : undefined;
  const forward = (reason: string): Assessment => ({ kind: 'forward', reason, guestSocket, link, uptime });
  if (probe.socket === 'no') return forward(`no forward in the VM: ${guestSocket} does not exist`);
  if (probe.socket === 'other') return forward(`no forward in the VM: ${guestSocket} is not a socket`);
  return forward(
    `the forward in the VM does not answer (${guestSocket}), while the agent answers on the Mac: Lima's ssh master died (the Mac slept?)`,
  );
}
