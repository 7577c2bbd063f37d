/**
 * The one error type asc raises on purpose. `code` is stable (scripts and tests match on it),
 * `hint` says what to do next, `exitCode` is what the CLI exits with when this error ends a command.
 */
export class AscError extends Error {
  override readonly name = 'AscError';
  readonly code: AscErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(
    message: string,
    options: { code: AscErrorCode; hint?: string; cause?: unknown; exitCode?: ExitCode },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? (USAGE_CODES.has(options.code) ? ExitCode.Usage : ExitCode.Failed);
  }
}

/** Exit codes, the same for every command (docs/reference/cli.md). The worst one wins. */
export const ExitCode = {
  /** done, or converged */
  Ok: 0,
  /** a task failed */
  Failed: 1,
  /** usage or configuration error; nothing was changed */
  Usage: 2,
  /** plan/status found drift */
  Drift: 3,
  /** interrupted by Ctrl-C (128 + SIGINT), as shells report it */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type AscErrorCode =
  | 'E_CONFIG_NOT_FOUND'
  | 'E_CONFIG_SYNTAX'
  | 'E_CONFIG_UNREADABLE'
  | 'E_CONFIG_INVALID'
  | 'E_PLUGIN_NOT_FOUND'
  | 'E_PLUGIN_INVALID'
  | 'E_TARGET_UNKNOWN'
  | 'E_TARGET_EMPTY'
  | 'E_TASK_DUPLICATE'
  | 'E_NEED_UNKNOWN'
  | 'E_CYCLE'
  | 'E_LOCKED'
  | 'E_USAGE'
  | 'E_TOOL_MISSING'
  | 'E_COMMAND_FAILED'
  | 'E_TIMEOUT'
  | 'E_CANCELLED'
  | 'E_PLAN_WRITE'
  | 'E_FILE'
  | 'E_VALIDATE'
  | 'E_REFUSED'
  | 'E_GUEST';

const USAGE_CODES = new Set<AscErrorCode>([
  'E_CONFIG_NOT_FOUND',
  'E_CONFIG_SYNTAX',
  'E_CONFIG_UNREADABLE',
  'E_CONFIG_INVALID',
  'E_PLUGIN_NOT_FOUND',
  'E_PLUGIN_INVALID',
  'E_TARGET_UNKNOWN',
  'E_TARGET_EMPTY',
  'E_TASK_DUPLICATE',
  'E_NEED_UNKNOWN',
  'E_CYCLE',
  'E_LOCKED',
  'E_USAGE',
]);

/** The message of any thrown value, with the hint of an AscError on its own line. */
export function formatError(error: unknown): string {
  if (error instanceof AscError)
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A task's failure in words. An AscError is asc's own, already phrased for the user. Anything else thrown
 * by a plugin (a TypeError…) is a bug in that plugin: tagged with it and the task, as Vite tags plugin
 * errors, with its stack under `--verbose`.
 */
export function describeFailure(
  error: unknown,
  where: { plugin: string; id: string },
  verbose: boolean,
): string {
  if (error instanceof AscError || !(error instanceof Error)) return formatError(error);
  const head = `[plugin ${where.plugin}] ${where.id}: ${error.name}: ${error.message}`;
  if (verbose && error.stack) return `${head}\n${error.stack.split('\n').slice(1).join('\n')}`;
  return `${head}\n  hint: a bug in the ${where.plugin} plugin, not in your machine's setup; run with -v for its stack and report it`;
}
