import type { AscTaskContext } from '../../src/index.ts';
import { displayPath, expandHome } from '../../src/index.ts';
import { type HostService, hostAlias } from '../lima/api.ts';
import type { OnePasswordOptions } from './options.ts';

/** The agent forward: `~/.asc-ssh-agent.sock` in the guest, `<instance dir>/sock/asc-ssh-agent.sock` on the Mac. */
export const AGENT: HostService = { guestFile: '.asc-ssh-agent.sock', linkFile: 'asc-ssh-agent.sock' };

/** 1Password's SSH agent on macOS (developer.1password.com/docs/ssh/get-started). */
export const ONEPASSWORD_AGENT = '~/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock';

export const ENABLE_AGENT = "open 1Password → Settings → Developer and turn on 'Use the SSH agent'";

export interface AgentTarget {
  socket: string;
  /** For messages: "plugins.onepassword.agentSocket", "IdentityAgent of lima-default"… */
  source: string;
}

/**
 * The option wins; then the IdentityAgent that the user's own ssh resolves for lima-<instance> (`ssh -G`,
 * with -F ~/.ssh/config as asc always names it); then 1Password's documented socket. Lima's own
 * `ssh.forwardAgent` would forward the host agent's SSH_AUTH_SOCK and ignore IdentityAgent (lima#626).
 */
export function agentTarget(t: AscTaskContext, options: OnePasswordOptions): Promise<AgentTarget> {
  return t.once('onepassword:agent-target', async () => {
    if (options.agentSocket) {
      return {
        socket: expandHome(options.agentSocket, t.host.home),
        source: 'plugins.onepassword.agentSocket',
      };
    }
    const fromSsh = await identityAgent(t);
    if (fromSsh) return fromSsh;
    return { socket: expandHome(ONEPASSWORD_AGENT, t.host.home), source: "1Password's agent" };
  });
}

async function identityAgent(t: AscTaskContext): Promise<AgentTarget | undefined> {
  const config = `${t.host.home}/.ssh/config`;
  if ((await t.files.read(config)) === undefined) return undefined;
  const alias = hostAlias(t.config.instance);
  const result = await t.exec.query('ssh', ['-G', '-F', config, alias], {
    timeoutMs: 15_000,
    okCodes: Array.from({ length: 256 }, (_, code) => code),
  });
  if (result.exitCode !== 0) return undefined;
  // `ssh -G` prints the value as written after expanding ~ and %-tokens; `none` turns the agent off.
  const value = /^identityagent (.+)$/m.exec(result.stdout)?.[1]?.trim();
  if (!value || value === 'none') return undefined;
  const source = `the IdentityAgent of ${alias} (\`ssh -G\`)`;
  if (/^\$?\{?SSH_AUTH_SOCK\}?$/.test(value)) {
    const socket = t.host.env.SSH_AUTH_SOCK;
    return socket ? { socket, source: `${source}: $SSH_AUTH_SOCK` } : undefined;
  }
  return { socket: expandHome(value, t.host.home), source };
}

/** `ssh-add -l` against the agent on the Mac: its keys' fingerprints, or why it does not answer. */
export type HostAgent =
  | { answers: true; fingerprints: string[]; target: AgentTarget }
  | { answers: false; target: AgentTarget; reason: string; hint: string };

export async function hostAgent(t: AscTaskContext, options: OnePasswordOptions): Promise<HostAgent> {
  // 1Password's socket is where the agent almost always is: it is listed while `ssh -G` says where the
  // agent is, so that on a converged Mac the listing does not wait for it. Another answer lists again.
  const documented = expandHome(ONEPASSWORD_AGENT, t.host.home);
  const early = options.agentSocket ? undefined : listAgent(t, documented);
  early?.catch(() => undefined);
  const target = await agentTarget(t, options);
  const at = displayPath(target.socket, t.host.home);
  const result = await (early && target.socket === documented ? early : listAgent(t, target.socket));
  if (result.exitCode === 0) return { answers: true, fingerprints: fingerprints(result.stdout), target };
  const onePassword = target.source === "1Password's agent";
  if (result.exitCode === 1) {
    return {
      answers: false,
      target,
      reason: `the SSH agent at ${at} answers but holds no keys`,
      hint: onePassword
        ? 'add or import an SSH key in 1Password'
        : `add a key to it: \`SSH_AUTH_SOCK=${target.socket} ssh-add\``,
    };
  }
  const why = result.stderr.trim().split('\n').at(-1) ?? '';
  return {
    answers: false,
    target,
    reason: `no SSH agent answers at ${at} (${target.source}): ${why}`,
    hint: onePassword
      ? ENABLE_AGENT
      : 'start that agent, or set plugins.onepassword.agentSocket to the one you use',
  };
}

/** `ssh-add -l` against the agent at `socket`: 0, keys listed; 1, "The agent has no identities."; 2, no agent there (ssh-add(1)). */
function listAgent(t: AscTaskContext, socket: string) {
  return t.exec.query('ssh-add', ['-l'], {
    env: { SSH_AUTH_SOCK: socket },
    okCodes: [0, 1, 2],
    timeoutMs: 30_000,
  });
}

/** `256 SHA256:abc… comment (ED25519)` → `SHA256:abc…`. */
export function fingerprints(list: string): string[] {
  return list
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[1])
    .filter((f): f is string => f?.includes(':') === true)
    .sort();
}
