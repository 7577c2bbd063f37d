import { AscError } from '../errors.ts';
import type { AscExec, AscExecOptions, AscGuest } from '../types.ts';
import { planRefusal, quote } from './exec.ts';

export interface GuestSettings {
  instance: string;
  exec: AscExec;
  dryRun: boolean;
  once: <T>(key: string, compute: () => Promise<T>) => Promise<T>;
  forget: (key: string) => void;
  /** Every plugin's `guestFacts`, keyed `<plugin>.<fact>`. */
  factScripts: Readonly<Record<string, string>>;
}

/**
 * Commands inside the VM through `limactl shell`. Its flags must come before the instance name
 * (cmd/limactl/shell.go sets SetInterspersed(false)); `--workdir /` keeps it from cd-ing into a host mount.
 * The exit status is the guest command's own.
 */
export function createGuest(settings: GuestSettings): AscGuest {
  const shell = (args: readonly string[], options?: AscExecOptions) =>
    settings.exec.query('limactl', guestArgv(settings.instance, args), options);
  return {
    query: shell,
    run: (args, options) => {
      if (settings.dryRun) return Promise.reject(planRefusal(`(in the VM) ${quote(args)}`));
      return settings.exec.run('limactl', guestArgv(settings.instance, args), options);
    },
    facts: () => settings.once(FACTS_KEY, () => gatherFacts(settings, shell)),
    refresh: () => settings.forget(FACTS_KEY),
  };
}

const FACTS_KEY = 'core:guest-facts';

export function guestArgv(instance: string, args: readonly string[]): string[] {
  return ['shell', '--tty=false', '--workdir', '/', instance, '--', ...args];
}

/** All facts in one round trip: each fact's output between marker lines that cannot occur in it. */
async function gatherFacts(
  settings: GuestSettings,
  shell: (args: readonly string[], options?: AscExecOptions) => Promise<{ stdout: string }>,
): Promise<Record<string, string>> {
  const names = Object.keys(settings.factScripts);
  if (names.length === 0) return {};
  // node:crypto loads here, on the first round trip, not with every command.
  const { randomBytes } = await import('node:crypto');
  const marker = `asc-fact-${randomBytes(6).toString('hex')}`;
  const script = names
    .map(
      (name) => `printf '\\n%s %s\\n' '${marker}' '${name}'; ( ${settings.factScripts[name]} ) 2>/dev/null`,
    )
    .join('\n')
    // The round trip's status is the last line's: one fact that exits non-zero must not fail them all.
    .concat('\ntrue');
  let stdout: string;
  try {
    ({ stdout } = await shell(['sh', '-c', script], { timeoutMs: 30_000 }));
  } catch (error) {
    throw new AscError(`could not read facts from the VM: ${(error as Error).message}`, {
      code: 'E_GUEST',
      hint: `is the VM running? try \`limactl shell ${settings.instance} true\``,
      cause: error,
    });
  }
  const facts: Record<string, string> = {};
  for (const chunk of stdout.split(`\n${marker} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const name = newline === -1 ? chunk : chunk.slice(0, newline);
    facts[name] = newline === -1 ? '' : chunk.slice(newline + 1).trim();
  }
  return facts;
}
