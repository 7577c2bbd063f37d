import { type AscSession, prepareSession } from '../core/session.ts';
import type { AscBuiltinPlugin } from '../core/types.ts';
import { type CommandIo, createIo, type GlobalOptions } from './io.ts';

/** What every command gets from the CLI: where it runs, and the built-in plugins (loaded lazily). */
export interface CommandEnv {
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
  builtins: readonly AscBuiltinPlugin[];
}

/** The output channels and the prepared session (config → plugins → VM spec → tasks → graph) of a command. */
export async function openSession(
  options: GlobalOptions,
  ctx: CommandEnv,
): Promise<{ io: CommandIo; session: AscSession }> {
  const io = createIo(options, ctx.env);
  const session = await prepareSession({
    ...ctx,
    ...(options.config ? { configPath: options.config } : {}),
    noCache: options.cache === false,
  });
  return { io, session };
}
