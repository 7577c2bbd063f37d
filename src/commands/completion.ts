import type { Command } from 'commander';
import { AscError } from '../core/errors.ts';
import { KNOWN_PHASES } from '../core/graph.ts';
import { prepareSession } from '../core/session.ts';
import type { GlobalOptions } from './io.ts';
import type { CommandEnv } from './session.ts';

export const SHELLS = ['zsh', 'bash', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * `asc completion <shell>`: a script that asks asc itself for the words at completion time
 * (`asc __complete <words so far>`), so targets are the current config's phases, plugins and task ids.
 */
export function completionScript(shell: string): string {
  switch (shell) {
    case 'bash':
      return `# asc completion for bash: source <(asc completion bash), or save it in
# ~/.local/share/bash-completion/completions/asc
_asc_complete() {
  local IFS=$'\\n'
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(asc __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _asc_complete asc
`;
    case 'zsh':
      return `#compdef asc
# asc completion for zsh: source <(asc completion zsh) after compinit, or save it as _asc in your $fpath
_asc() {
  local -a candidates
  candidates=(\${(f)"$(asc __complete \${words[2,CURRENT]} 2>/dev/null)"})
  compadd -a candidates
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _asc "$@"; else compdef _asc asc; fi
`;
    case 'fish':
      return `# asc completion for fish: asc completion fish > ~/.config/fish/completions/asc.fish
complete -c asc -f -a '(asc __complete (commandline -opc)[2..-1] (commandline -ct))'
`;
    default:
      throw new AscError(`completion ${shell}: expected one of ${SHELLS.join(', ')}`, {
        code: 'E_USAGE',
        hint: 'asc completion zsh, asc completion bash or asc completion fish',
      });
  }
}

/**
 * The words that may come next, for the completion scripts: `words` are the command line after `asc`,
 * the last one being the word under the cursor (maybe empty). Commands, their flags, and for
 * run/plan/status the targets of the current config (never an error: a broken config gives the phases).
 */
export async function completeWords(
  program: Command,
  words: readonly string[],
  ctx: CommandEnv,
): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const globalFlags = flagsOf(program);
  const commandName = before.find((word) => !word.startsWith('-'));
  const command = program.commands.find((c) => c.name() === commandName);
  const previous = before.at(-1);
  let candidates: string[];
  if (!command) {
    candidates = current.startsWith('-') ? globalFlags : visible(program).map((c) => c.name());
  } else if (current.startsWith('-')) {
    candidates = [...flagsOf(command), ...globalFlags];
  } else if (previous === '-c' || previous === '--config') {
    return [];
  } else if (commandName === 'completion') {
    candidates = [...SHELLS];
  } else if (commandName === 'help') {
    candidates = visible(program).map((c) => c.name());
  } else if (commandName === 'graph' && (previous === '-f' || previous === '--format')) {
    candidates = ['mermaid', 'dot'];
  } else if (['run', 'plan', 'status'].includes(commandName ?? '')) {
    candidates = await targets(before, ctx);
  } else {
    candidates = [];
  }
  return candidates.filter((word) => word.startsWith(current));
}

async function targets(before: readonly string[], ctx: CommandEnv): Promise<string[]> {
  const at = Math.max(before.indexOf('-c'), before.indexOf('--config'));
  const configPath = at >= 0 ? before[at + 1] : undefined;
  try {
    const session = await prepareSession({ ...ctx, ...(configPath ? { configPath } : {}) });
    const { graph } = session;
    // Only the phases that hold a task: an empty one is a usage error (exit 2).
    const phases = graph.phases.filter((phase) => [...graph.tasks.values()].some((t) => t.phase === phase));
    return ['all', ...phases, ...graph.groups, ...graph.tasks.keys()];
  } catch {
    return ['all', ...KNOWN_PHASES];
  }
}

function visible(program: Command): Command[] {
  return program.commands.filter((c) => !c.name().startsWith('_'));
}

function flagsOf(command: Command): string[] {
  return command.options.flatMap((option) => [option.long, option.short].filter((f): f is string => !!f));
}

/** Options every command takes (for the type of `globals()`). */
export type CompletionOptions = GlobalOptions;
