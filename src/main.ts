import nodeModule from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import {
  addConvergeCommand,
  addGlobalOptions,
  CONVERGE_COMMANDS,
  EXIT_CODES,
  quickConvergeArgs,
} from './commands/argv.ts';
import type { CommandEnv } from './commands/session.ts';
import { isTerminal, writeErr, writeOut } from './core/stdio.ts';

// No top-level await: the built chunks are CommonJS (decision 48).
void main().then((code) => process.exit(code));

async function main(): Promise<number> {
  // asc's own chunks come through its code cache (src/code-cache.ts). Node's compile cache keeps the
  // compiled code of what else a run loads (a user's config or plugins, as ES modules), in the same
  // folder in the temporary folder, as Node's own default does: a cache that may vanish, and no file in
  // HOME that nobody asked for. (Every Node asc supports has it, decision 41.)
  const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir: string) => unknown };
  enableCompileCache?.(path.join(tmpdir(), `asc-compile-cache-${process.getuid?.() ?? 'user'}`));

  function commandEnv(): CommandEnv {
    return {
      cwd: process.cwd(),
      home: process.env.HOME || homedir(),
      env: process.env,
      // Loaded lazily: --help must not pay for the plugins.
      builtins: [],
    };
  }

  async function withBuiltins(): Promise<CommandEnv> {
    const { builtinPlugins } = await import('../plugins/index.ts');
    return { ...commandEnv(), builtins: builtinPlugins };
  }

  // `asc run all`, `asc status phase2 --json`: read without commander, when it would read them the same.
  const quick = quickConvergeArgs(process.argv.slice(2));
  if (quick) {
    try {
      const { converge } = await import('./commands/converge.ts');
      return await converge(quick.command, quick.targets, quick.options, await withBuiltins());
    } catch (error) {
      return reportError(error, () => quick.options);
    }
  }

  const commander = await import('commander');
  const { Command, Option } = commander;

  const program = new Command('asc');
  // Help, usage errors and --version through the descriptors, as asc's own words (src/core/stdio.ts);
  // commander asks for a width (80 otherwise, its default) and colours only of a terminal. Set first:
  // subcommands copy it.
  const output = program.configureOutput();
  program.configureOutput({
    writeOut,
    writeErr,
    getOutHelpWidth: () => (isTerminal(1) ? output.getOutHelpWidth?.() : undefined) ?? 80,
    getErrHelpWidth: () => (isTerminal(2) ? output.getErrHelpWidth?.() : undefined) ?? 80,
    getOutHasColors: () => isTerminal(1) && output.getOutHasColors?.() === true,
    getErrHasColors: () => isTerminal(2) && output.getErrHasColors?.() === true,
  });
  program.description('Make the Mac’s persistent Linux VM real, and keep it that way.').version(pkg.version);
  addGlobalOptions(program)
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError('(run asc --help for usage)')
    .exitOverride();

  let exitCode = 0;
  const globals = () =>
    program.opts<{ config?: string; json?: boolean; verbose?: boolean; color?: boolean; cache?: boolean }>();

  for (const name of CONVERGE_COMMANDS) {
    addConvergeCommand(program, name, commander, async (targets, options) => {
      const { converge } = await import('./commands/converge.ts');
      exitCode = await converge(name, targets, options, await withBuiltins());
    });
  }

  program
    .command('doctor')
    .description('check every prerequisite and known trap, one row each with its fix (exit 1 if one fails)')
    .action(async () => {
      const { doctor } = await import('./commands/doctor.ts');
      exitCode = await doctor(globals(), await withBuiltins());
    });

  program
    .command('uninstall')
    .description('undo every edit asc made on the Mac (the plan first; asks, or --yes); the VM stays')
    .option('--plan', 'only show what would be undone (exit 3 when something would be)')
    .option('-y, --yes', 'undo without asking (also restarts a running VM whose lima.yaml changes)')
    .action(async (options: { plan?: boolean; yes?: boolean }) => {
      const { uninstall } = await import('./commands/uninstall.ts');
      exitCode = await uninstall({ ...globals(), ...options }, await withBuiltins());
    });

  program
    .command('backup')
    .description('archive the guest home to the Mac now, verified (asks nothing; --list shows the archives)')
    .option('-l, --list', 'only list the archives, with size and age')
    .option('--unattended', "for launchd's agent: give way at once to a run that holds the lock; no progress")
    .action(async (options: { list?: boolean; unattended?: boolean }) => {
      const { backup } = await import('./commands/backup.ts');
      exitCode = await backup({ ...globals(), ...options }, await withBuiltins());
    });

  program
    .command('restore')
    .description('put an archived guest home back into the running VM, after archiving what it replaces')
    .argument('[archive]', 'the archive to restore (default: the newest)')
    .option('-y, --yes', 'restore without asking')
    .action(async (archive: string | undefined, options: { yes?: boolean }) => {
      const { restore } = await import('./commands/backup.ts');
      exitCode = await restore(archive, { ...globals(), ...options }, await withBuiltins());
    });

  program
    .command('list')
    .description('plugins (enabled or not), phases, and every task with its needs')
    .action(async () => {
      const { list } = await import('./commands/list.ts');
      exitCode = await list(globals(), await withBuiltins());
    });

  program
    .command('graph')
    .description('the task graph, as Mermaid or Graphviz DOT')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'),
    )
    .action(async (options: { format: string }) => {
      const { graph } = await import('./commands/graph.ts');
      exitCode = await graph({ ...globals(), ...options }, await withBuiltins());
    });

  program
    .command('init')
    .description('write a starter .ascrc.yaml with the built-in defaults (or to --config PATH)')
    .option('--force', 'replace an existing file (the old one is backed up)')
    .action(async (options: { force?: boolean }) => {
      const { init } = await import('./commands/init.ts');
      exitCode = await init({ ...globals(), ...options }, await withBuiltins());
    });

  program
    .command('completion')
    .description('print a shell completion script: zsh, bash or fish (targets come from your config)')
    .argument('<shell>', 'zsh, bash or fish')
    .addHelpText(
      'after',
      '\nInstall:\n  zsh:  source <(asc completion zsh)     (after compinit, in ~/.zshrc)\n  bash: source <(asc completion bash)    (in ~/.bashrc)\n  fish: asc completion fish > ~/.config/fish/completions/asc.fish',
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('./commands/completion.ts');
      writeOut(completionScript(shell));
    });

  // The completion scripts call this at each <Tab>: the words so far, the last one under the cursor.
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async () => {
      const { completeWords } = await import('./commands/completion.ts');
      // The words as typed: commander would drop a `--` (its end of options), the word `asc run --<Tab>` completes.
      const words = process.argv.slice(process.argv.indexOf('__complete') + 1);
      const found = await completeWords(program, words, await withBuiltins());
      if (found.length) writeOut(`${found.join('\n')}\n`);
    });

  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    exitCode = await reportError(error, globals);
  }
  return exitCode;
}

/** The one place errors become words and an exit code. */
async function reportError(
  error: unknown,
  globals: () => { json?: boolean; verbose?: boolean },
): Promise<number> {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // commander already printed its message (or the help/version it was asked for).
    // Help that was asked for (`--help`, `asc help run`) is not an error; help shown for a bare `asc` is.
    if ((error as { exitCode?: number }).exitCode === 0) return 0;
    if (process.argv.includes('--json')) {
      const message = String((error as Error).message).replace(/^error: /, '');
      writeOut(
        `${JSON.stringify({ error: { code: 'E_USAGE', message, hint: 'run asc --help' }, exitCode: 2 }, null, 2)}\n`,
      );
    }
    return 2;
  }
  const { AscError, formatError } = await import('./core/errors.ts');
  const json = globals().json === true;
  if (error instanceof AscError) {
    if (json) {
      writeOut(
        `${JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint ?? null }, exitCode: error.exitCode }, null, 2)}\n`,
      );
    }
    writeErr(`asc: ${formatError(error)}\n`);
    // A plugin hook that threw (a bug in the plugin) keeps its stack for --verbose.
    const cause = error.cause as Error | undefined;
    if (globals().verbose && cause?.stack) writeErr(`${cause.stack}\n`);
    return error.exitCode;
  }
  writeErr(`asc: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  writeErr('  this is a bug in asc; please report it with the command you ran\n');
  return 1;
}
