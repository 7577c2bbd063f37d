import { AscError } from '../errors.ts';
import { firstLine, indent, lastLine } from '../text.ts';
import type { AscExec, AscExecOptions, AscExecResult, AscGuest } from '../types.ts';
import type { GuestGate } from './guest-gate.ts';

export interface GuestSettings {
  instance: string;
  exec: AscExec;
  once: <T>(key: string, compute: () => Promise<T>) => Promise<T>;
  forget: (key: string) => void;
  /** Every plugin's `guestFacts`, keyed `<plugin>.<fact>`. */
  factScripts: Readonly<Record<string, string>>;
  /** The run's one gate between the VM's restarts and every task's guest commands. */
  gate: GuestGate;
  /** The task these commands belong to. */
  owner: string;
  /** `--verbose`: a failed facts read shows its whole script. */
  verbose: boolean;
}

/**
 * Commands inside the VM through `limactl shell`. Its flags must come before the instance name
 * (cmd/limactl/shell.go sets SetInterspersed(false)); `--workdir /` keeps it from cd-ing into a host mount.
 * The exit status is the guest command's own. Plan mode is this object wrapped by `readOnlyGuest`.
 */
export function createGuest(settings: GuestSettings): AscGuest {
  const { gate, owner } = settings;
  const shell = (args: readonly string[], options?: AscExecOptions) =>
    gate.command(owner, () => settings.exec.query('limactl', guestArgv(settings.instance, args), options));
  const refresh = () => settings.forget(FACTS_KEY);
  return {
    query: shell,
    run: (args, options) => {
      return gate.command(owner, () =>
        settings.exec.run('limactl', guestArgv(settings.instance, args), options),
      );
    },
    // While another task holds the VM down, no facts read enters the run's cache: the holder's own read
    // (its start checked) must not find one there that waits for the holder to finish.
    facts: async () => {
      for (let closed = gate.closedTo(owner); closed; closed = gate.closedTo(owner)) await closed;
      return settings.once(FACTS_KEY, () => gatherFacts(settings, shell));
    },
    refresh,
    // The facts are dropped on the way in too: another task's read queued at the gate must not be the
    // one this task awaits (it waits for this very section to end).
    offline: (work) =>
      gate.offline(owner, async () => {
        refresh();
        try {
          return await work();
        } finally {
          refresh();
        }
      }),
  };
}

const FACTS_KEY = 'core:guest-facts';

export function guestArgv(instance: string, args: readonly string[]): string[] {
  return ['shell', '--tty=false', '--workdir', '/', instance, '--', ...args];
}

/** All facts in one round trip: each fact's output between marker lines that cannot occur in it. */
async function gatherFacts(
  settings: GuestSettings,
  shell: (args: readonly string[], options?: AscExecOptions) => Promise<AscExecResult>,
): Promise<Record<string, string>> {
  const names = Object.keys(settings.factScripts);
  if (names.length === 0) return {};
  // node:crypto loads here, on the first round trip, not with every command (and not by a dynamic
  // import: asc's code cache compiles no chunk that holds one, decision 48).
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  const marker = `asc-fact-${randomBytes(6).toString('hex')}`;
  const script = names
    .map(
      (name) => `printf '\\n%s %s\\n' '${marker}' '${name}'; ( ${settings.factScripts[name]} ) 2>/dev/null`,
    )
    .join('\n')
    // The round trip's status is the last line's: one fact that exits non-zero must not fail them all.
    .concat('\ntrue');
  const { stdout, stderr, exitCode } = await shell(['sh', '-c', script], {
    timeoutMs: 30_000,
    okCodes: ALL_CODES,
  }).catch((error: Error) => {
    // A timeout or a missing limactl: its headline, without the script it quotes.
    const head = firstLine(error.message).replace(/: limactl shell .*$/, '');
    throw new AscError(`could not read facts from the VM: ${head}`, {
      code: 'E_GUEST',
      hint: `is the VM running? try \`limactl shell ${settings.instance} true\``,
      cause: error,
    });
  });
  if (exitCode !== 0) throw factsFailure(settings, names, { stdout, stderr, exitCode }, marker, script);
  const facts: Record<string, string> = {};
  for (const chunk of stdout.split(`\n${marker} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const name = newline === -1 ? chunk : chunk.slice(0, newline);
    facts[name] = newline === -1 ? '' : chunk.slice(newline + 1).trim();
  }
  return facts;
}

const ALL_CODES = Array.from({ length: 256 }, (_, code) => code);

/**
 * A round trip that failed (ssh's 255: the VM went away): the fact it was reading when it stopped (the
 * last marker it printed, else the first) and the last line limactl said; the whole script with -v.
 */
function factsFailure(
  settings: GuestSettings,
  names: readonly string[],
  result: { stdout: string; stderr: string; exitCode: number },
  marker: string,
  script: string,
): AscError {
  const started = [...result.stdout.matchAll(new RegExp(`^${marker} (\\S+)$`, 'gm'))].map((m) => m[1]);
  const fact = started.at(-1) ?? names[0];
  const said = lastLine(result.stderr);
  const detail = settings.verbose
    ? `\nthe script, run by \`limactl shell ${settings.instance} sh -c\`:\n${indent(script, '    ')}`
    : '';
  return new AscError(
    `could not read facts from the VM (at ${fact}): limactl shell exited ${result.exitCode}${said ? `: ${said}` : ''}${detail}`,
    {
      code: 'E_GUEST',
      hint: `is the VM running? try \`limactl shell ${settings.instance} true\`${settings.verbose ? '' : '; -v shows the script'}`,
    },
  );
}
