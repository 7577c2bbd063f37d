/**
 * A shell line that `sh -c` would run as one program with literal arguments: the program and its
 * arguments, so that asc can start the program itself and spare the shell's own start (decision 49). A
 * line qualifies only when sh would do nothing with it but split it on blanks:
 * - every word is made of letters, digits and `_ @ % + = : , . / -`: no quote, `$`, backquote,
 *   backslash, glob character, `~`, `#`, redirection, pipe, `;`, `&`, parenthesis or brace;
 * - its first word is no variable assignment (`A=1 cmd`), and no keyword or builtin of sh (`if`, `cd`,
 *   `test`, `true`, `echo`…): a builtin can differ from the program of the same name, or have none.
 * Anything else returns undefined and runs with `sh -c`, as before.
 */
const WORD = /^[\w@%+=:,./-]+$/;

/** sh's keywords and builtins, dash's and bash's (in POSIX mode) together. */
const SHELL_WORDS = new Set(
  (
    '! { } [[ ]] case do done elif else esac fi for function if in select then time until while ' +
    '. : [ alias bg bind break builtin caller cd chdir command compgen complete continue declare dirs ' +
    'disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local ' +
    'logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend ' +
    'test times trap true type typeset ulimit umask unalias unset wait'
  ).split(' '),
);

export function simpleCommand(line: string): string[] | undefined {
  const words = line.split(/[ \t]+/).filter(Boolean);
  const [program] = words;
  if (program === undefined || program.includes('=') || SHELL_WORDS.has(program)) return undefined;
  return words.every((word) => WORD.test(word)) ? words : undefined;
}
