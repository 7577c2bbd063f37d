import { parseArgs } from 'node:util';
import type { Command, InvalidArgumentError, Option } from 'commander';
import type { ConvergeOptions } from './converge.ts';
import type { GlobalOptions } from './io.ts';

/**
 * asc's command line, in two readers that must agree: commander, which knows every command, its help and
 * its errors; and a quick reader for the lines a Taskfile, an agent or a person types every day (`asc run
 * all`, `asc status phase2 --json`), which answers without loading commander (decision 48). The quick
 * reader takes only a line commander would read the same way, and gives up on anything else (help, a
 * mistake, another command): commander then reads the line, and says what is wrong. A test feeds both
 * readers random lines and holds them to that (src/commands/argv.test.ts).
 */

export const CONVERGE_COMMANDS = ['run', 'plan', 'status'] as const;
export type ConvergeCommand = (typeof CONVERGE_COMMANDS)[number];

export const EXIT_CODES = `
Exit codes (the same for every command; the worst wins):
  0    done, or converged
  1    a task failed
  2    usage or configuration error (nothing was changed)
  3    plan/status found drift
  130  interrupted (Ctrl-C)

Targets: all, a phase (phase1 … phase6), a plugin (lima), a task id (lima.running) or a
glob (docker.*); each pulls in the tasks it needs.

Examples:
  asc plan all          show what would change, with diffs
  asc run phase1 --yes  converge phase 1, restarting the VM if needed
  asc status phase2     exit 0 when converged (use it as a go-task status: line)`;

const SUMMARIES: Record<ConvergeCommand, string> = {
  run: 'converge the targets: check, apply what drifted, check again',
  plan: 'run every check, change nothing, show each drift with a diff (exit 3 on drift)',
  status: 'like plan, terse: exit 0 when converged, 3 when not',
};

const DEFAULT_CONCURRENCY = 16;

/** `-j`: a whole number of at least 1, or undefined. */
function wholeNumber(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** The options every command takes, on commander's program. */
export function addGlobalOptions(program: Command): Command {
  return program
    .option(
      '-c, --config <path>',
      'config file (default: searched from here up, then ~/.config/asc/config.yaml)',
    )
    .option('--json', 'print one JSON document on stdout; logs go to stderr')
    .option('-v, --verbose', 'show the commands asc runs and every drift')
    .option('--no-color', 'no colours (NO_COLOR is respected too)')
    .option('--no-cache', 'search, read and validate the config again, not from the config cache');
}

/** `run`, `plan` or `status` on commander's program; the action gets the targets and every option. */
export function addConvergeCommand(
  program: Command,
  name: ConvergeCommand,
  commander: { Option: typeof Option; InvalidArgumentError: typeof InvalidArgumentError },
  action: (targets: string[], options: ConvergeOptions) => Promise<void>,
): Command {
  const concurrency = (value: string) => {
    const n = wholeNumber(value);
    if (n === undefined) throw new commander.InvalidArgumentError('expected a whole number of at least 1');
    return n;
  };
  const command = program
    .command(name)
    .description(SUMMARIES[name])
    .argument('[targets...]', 'all (the default), a phase, a plugin, a task id or a glob')
    .addOption(
      new commander.Option('-j, --concurrency <n>', 'most tasks at once')
        .argParser(concurrency)
        .default(DEFAULT_CONCURRENCY),
    )
    .addHelpText('after', EXIT_CODES)
    .action((targets: string[] | undefined, options: ConvergeOptions) =>
      action(targets ?? [], { ...program.opts<GlobalOptions>(), ...options }),
    );
  if (name === 'run') {
    command.option('-y, --yes', 'allow disruptive steps (such as restarting the VM) without asking');
    command.option(
      '--unattended',
      "for launchd's agents: apply only the targets (their needs are checked, never applied), print only what changed or failed, never ask, and exit 0 at once when another asc run holds the lock",
    );
  }
  return command;
}

/** Options the quick reader knows; `color` and `cache` only as `--no-color` and `--no-cache`, as commander defines them. */
const QUICK_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  color: { type: 'boolean' },
  cache: { type: 'boolean' },
  concurrency: { type: 'string', short: 'j' },
  yes: { type: 'boolean', short: 'y' },
  unattended: { type: 'boolean' },
} as const;
const NEGATED_ONLY = new Set(['color', 'cache']);
/** A command's own options: after its name, and only on the commands that have them. */
const COMMAND_OPTIONS: Record<string, readonly ConvergeCommand[]> = {
  concurrency: CONVERGE_COMMANDS,
  yes: ['run'],
  unattended: ['run'],
};

/** node:util's parseArgs tokens, as Node documents them. */
type Token =
  | { kind: 'option'; index: number; name: string; rawName: string; value?: string }
  | { kind: 'positional'; index: number; value: string }
  | { kind: 'option-terminator'; index: number };

export interface QuickArgs {
  command: ConvergeCommand;
  targets: string[];
  options: ConvergeOptions;
}

/** `run`, `plan` or `status` with their options read as commander would read them, or undefined: let commander read it. */
export function quickConvergeArgs(args: readonly string[]): QuickArgs | undefined {
  // No command of the three on the line (`--help`, `doctor`): commander's, without parsing it here.
  if (!args.some((arg) => (CONVERGE_COMMANDS as readonly string[]).includes(arg))) return undefined;
  let parsed: { positionals: string[]; tokens: Token[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: QUICK_OPTIONS,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
      tokens: true,
    }) as unknown as typeof parsed;
  } catch {
    return undefined;
  }
  const first = parsed.tokens.find((token) => token.kind !== 'option');
  if (first?.kind !== 'positional') return undefined;
  const command = CONVERGE_COMMANDS.find((name) => name === first.value);
  if (command === undefined) return undefined;
  const options: Record<string, unknown> = { color: true, cache: true, concurrency: DEFAULT_CONCURRENCY };
  const seen = new Set<number>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    // Short flags run together (`-yv`): commander splits them by command, so only one flag a word here.
    if (seen.has(token.index)) return undefined;
    seen.add(token.index);
    const negated = token.rawName.startsWith('--no-');
    if (negated !== NEGATED_ONLY.has(token.name)) return undefined;
    const only = COMMAND_OPTIONS[token.name];
    if (only && (token.index < first.index || !only.includes(command))) return undefined;
    if (token.name === 'concurrency') {
      const n = wholeNumber(token.value);
      if (n === undefined) return undefined;
      options.concurrency = n;
    } else options[token.name] = token.value ?? !negated;
  }
  return { command, targets: parsed.positionals.slice(1), options };
}
