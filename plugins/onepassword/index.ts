import { type AscDoctorCheck, definePlugin, displayPath } from '../../src/index.ts';
import { forwardRule, guestSocketTemplate, limaState, parseProbe, removeLinkTask } from '../lima/api.ts';
import { AGENT, hostAgent } from './agent.ts';
import { onePasswordAbout } from './entry.ts';
import { FACT_TOKEN, OP_SCRIPT, opTasks, TOKEN_SCRIPT } from './op.ts';
import type { OnePasswordOptions } from './options.ts';
import { AGENT_SCRIPT, agentTasks, FACT_AGENT, OS_SCRIPT } from './tasks.ts';

/**
 * 1Password inside the VM: the Mac's SSH agent (1Password's, or whatever IdentityAgent ssh uses) through a
 * reverse socket forward with SSH_AUTH_SOCK pointing at it in every guest shell, and, with a service
 * account, `op` in the VM with its token exported for login shells.
 */
export const onePasswordPlugin = definePlugin<OnePasswordOptions>({
  ...onePasswordAbout,
  tools: {
    'ssh-add': { macOS: '/usr/bin/ssh-add' },
    ssh: { macOS: '/usr/bin/ssh' },
    op: { install: 'brew install 1password-cli' },
  },
  guestFacts: { os: OS_SCRIPT, agent: AGENT_SCRIPT, op: OP_SCRIPT, token: TOKEN_SCRIPT },
  vm(spec) {
    // Lima's ssh.forwardAgent forwards the host agent's own SSH_AUTH_SOCK and ignores IdentityAgent
    // (lima#626); a reverse forward of the agent's socket reaches exactly the agent asked for.
    spec.portForwards.push(forwardRule(AGENT));
    spec.env.SSH_AUTH_SOCK = guestSocketTemplate(AGENT);
  },
  tasks: (options) => [...agentTasks(options), ...opTasks(options)],
  doctor: (options) => onePasswordDoctor(options),
  uninstall: () => [removeLinkTask('agent-socket', "asc's link to the SSH agent is gone", AGENT)],
});

function onePasswordDoctor(options: OnePasswordOptions): AscDoctorCheck[] {
  const running = async (t: Parameters<AscDoctorCheck['run']>[0]) =>
    (await (await limaState(t)).instance(t, t.config.instance))?.status === 'Running';
  const notRunning = (t: Parameters<AscDoctorCheck['run']>[0]) => ({
    status: 'warn' as const,
    message: `the VM ${t.config.instance} is not running: the VM side cannot be checked`,
    fix: 'asc run lima.running',
  });
  const rows: AscDoctorCheck[] = [
    {
      id: 'agent',
      title: 'the SSH agent on the Mac',
      async run(t) {
        const agent = await hostAgent(t, options);
        const at = displayPath(agent.target.socket, t.host.home);
        if (agent.answers) {
          return {
            status: 'ok',
            message: `${agent.fingerprints.length} key(s) at ${at} (${agent.target.source})`,
          };
        }
        return { status: 'fail', message: agent.reason, fix: agent.hint };
      },
    },
    {
      id: 'agent-in-vm',
      title: 'the SSH agent in the VM',
      async run(t) {
        if (!(await running(t))) return notRunning(t);
        const probe = parseProbe((await t.guest.facts())[FACT_AGENT] ?? '');
        if (probe.exit === '0')
          return { status: 'ok', message: "ssh-add -l in the VM lists the agent's keys" };
        return {
          status: 'fail',
          message:
            probe.exit === '127'
              ? 'no ssh-add in the VM'
              : probe.socket === 'yes'
                ? 'the forwarded agent socket in the VM does not answer (a sleep of the Mac kills the forward, lima#5420)'
                : 'no forwarded agent socket in the VM',
          fix: 'asc run onepassword.agent-works (it re-creates the forward without restarting the VM)',
        };
      },
    },
  ];
  if (options.serviceAccount) {
    rows.push({
      id: 'service-account',
      title: 'op in the VM with the service account',
      async run(t) {
        if (!(await running(t))) return notRunning(t);
        const token = parseProbe((await t.guest.facts())[FACT_TOKEN] ?? '');
        if (token.env === 'unset') {
          return {
            status: 'fail',
            message: 'OP_SERVICE_ACCOUNT_TOKEN is not set in guest login shells',
            fix: 'asc run onepassword.op-token',
          };
        }
        const result = await t.guest.query(['op', 'whoami'], {
          timeoutMs: 60_000,
          okCodes: Array.from({ length: 256 }, (_, code) => code),
        });
        if (result.exitCode === 0 && /^User Type:\s+SERVICE_ACCOUNT\s*$/m.test(result.stdout)) {
          return { status: 'ok', message: 'op whoami in the VM reports the service account' };
        }
        const said = (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1) ?? '';
        return {
          status: 'fail',
          message: `op whoami in the VM: ${said}`,
          fix: 'asc run onepassword.op-works',
        };
      },
    });
  }
  return rows;
}
