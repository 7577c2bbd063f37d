/** launchctl subcommands that change launchd's state; a converged run must make none of them. */
export const MUTATING_LAUNCHCTL: ReadonlySet<string>;
