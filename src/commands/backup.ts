import path from 'node:path';
import { formatAge, formatBytes } from '../core/archive/folder.ts';
import { displayPath } from '../core/context/files.ts';
import { AscError } from '../core/errors.ts';
import { acquireRunLock } from '../core/lock.ts';
import type { AscSession } from '../core/session.ts';
import { fileStamp, stateDir } from '../core/state.ts';
import { isTerminal, writeErr } from '../core/stdio.ts';
import { type ContextSettings, createContextFactory } from '../core/task-context.ts';
import type { AscBackups, AscLog, AscTaskContext } from '../core/types.ts';
import { askKey, isInteractive } from './execute.ts';
import type { CommandIo, GlobalOptions } from './io.ts';
import { transferProgress } from './progress.ts';
import { type CommandEnv, openSession } from './session.ts';

export interface BackupOptions extends GlobalOptions {
  list?: boolean;
  yes?: boolean;
  /** For launchd's agent: give way at once to a run that holds the lock, no progress, each line with the time. */
  unattended?: boolean;
}

/** `asc backup`: every enabled plugin's `backups` hook takes one backup; `--list` shows the archives. */
export async function backup(options: BackupOptions, ctx: CommandEnv): Promise<number> {
  const { io, session } = await openSession(options, ctx);
  const providers = providersOf(session);
  if (options.list) return listArchives(io, session, ctx, providers);
  const unattended = options.unattended === true;
  const stamp = (line: string) => (unattended ? `${new Date().toISOString()} ${line}` : line);
  const take = withContext(io, session, ctx, options, 'asc backup', async (contextFor) => {
    const done: { plugin: string; result: string }[] = [];
    for (const { plugin, backups } of providers) {
      const progress = unattended
        ? { update: () => {}, done: () => {} }
        : transferProgress(writeErr, isTerminal(2));
      try {
        done.push({ plugin, result: await backups.create(contextFor(`${plugin}.backup`), progress.update) });
      } finally {
        progress.done();
      }
    }
    return done;
  });
  let made: Awaited<typeof take>;
  try {
    made = await take;
  } catch (error) {
    // Unattended, a run that holds the lock wins: this backup is skipped without a word.
    if (unattended && error instanceof AscError && error.code === 'E_LOCKED') return 0;
    throw error;
  }
  if (io.json) io.document(JSON.stringify({ exitCode: 0, backups: made }, null, 2));
  else for (const { result } of made) io.out(stamp(`backup: ${result}`));
  return 0;
}

/** `asc restore [ARCHIVE]`: the plugin whose archives these are puts one back into the running VM. */
export async function restore(
  archive: string | undefined,
  options: BackupOptions,
  ctx: CommandEnv,
): Promise<number> {
  const { io, session } = await openSession(options, ctx);
  const providers = providersOf(session);
  const file = archive === undefined ? undefined : path.resolve(ctx.cwd, archive);
  const done = await withContext(io, session, ctx, options, 'asc restore', async (contextFor) => {
    const [first] = providers;
    const owner =
      file === undefined
        ? first
        : (providers.find((p) =>
            file.startsWith(`${p.backups.folder(contextFor(`${p.plugin}.restore`))}${path.sep}`),
          ) ?? first);
    if (!owner) throw noProvider();
    return owner.backups.restore(contextFor(`${owner.plugin}.restore`), file);
  });
  if (io.json) io.document(JSON.stringify({ exitCode: 0, restored: done }, null, 2));
  else io.out(`restore: ${done}`);
  return 0;
}

function providersOf(session: AscSession): AscSession['collected']['backups'] {
  const found = session.collected.backups;
  if (found.length === 0) throw noProvider();
  return found;
}

function noProvider(): AscError {
  return new AscError('no enabled plugin takes backups of the guest home', {
    code: 'E_USAGE',
    hint: 'turn the backup plugin on under `plugins:` in your config (see docs/plugins/backup.md); nothing was changed',
  });
}

/** A run-mode context per call, under the run lock; Ctrl-C and SIGTERM cancel the command that runs. */
async function withContext<T>(
  io: CommandIo,
  session: AscSession,
  ctx: CommandEnv,
  options: BackupOptions,
  command: string,
  use: (contextFor: (id: string) => AscTaskContext) => Promise<T>,
): Promise<T> {
  const state = stateDir(ctx.home, ctx.env);
  const lock = await acquireRunLock(state, {
    waitMs: options.unattended ? 0 : 3000,
    command,
    onWait: (message) => io.err(`asc: ${message}`),
  });
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    io.err('\nasc: interrupted: the transfer is cancelled; nothing unverified counts as a backup');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const log: AscLog = {
    info: (message) =>
      io.out(options.unattended ? `${new Date().toISOString()}   ${message}` : `  ${message}`),
    warn: (message) => io.err(`  warning: ${message}`),
    debug: (message) => {
      if (options.verbose) io.err(`  ${message}`);
    },
  };
  const contextFor = contexts(session, ctx, log, {
    readOnly: false,
    yes: options.yes === true,
    ...(isInteractive(io) ? { ask: askKey } : {}),
    signal: abort.signal,
  });
  try {
    return await use(contextFor);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock.release();
  }
}

/** A context per id (`<plugin>.<what>`), all from one factory: one run's facts, one question at a time. */
function contexts(
  session: AscSession,
  ctx: CommandEnv,
  log: AscLog,
  mode: Pick<ContextSettings, 'readOnly' | 'yes' | 'ask' | 'signal'>,
): (id: string) => AscTaskContext {
  const state = stateDir(ctx.home, ctx.env);
  const factory = createContextFactory({
    ...mode,
    env: ctx.env,
    home: ctx.home,
    backupDir: path.join(state, 'backups', fileStamp()),
    stateDir: state,
    config: session.config,
    collected: session.collected,
  });
  return (id) => factory({ id, plugin: id.split('.')[0] ?? id }, log);
}

async function listArchives(
  io: CommandIo,
  session: AscSession,
  ctx: CommandEnv,
  providers: readonly { plugin: string; backups: AscBackups }[],
): Promise<number> {
  const quiet: AscLog = { info: () => {}, warn: () => {}, debug: () => {} };
  const contextFor = contexts(session, ctx, quiet, {
    readOnly: true,
    yes: false,
    signal: new AbortController().signal,
  });
  const now = Date.now();
  const rows = [];
  for (const { plugin, backups } of providers) {
    for (const a of await backups.list(contextFor(`${plugin}.list`))) {
      rows.push({
        plugin,
        file: a.file,
        bytes: a.bytes,
        created: a.created.toISOString(),
        ageMs: now - a.created.getTime(),
      });
    }
  }
  if (io.json) {
    io.document(JSON.stringify({ exitCode: 0, archives: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    const where = providers.map((p) =>
      displayPath(p.backups.folder(contextFor(`${p.plugin}.list`)), ctx.home),
    );
    io.out(`no backups yet in ${where.join(', ')}: \`asc backup\` takes one`);
    return 0;
  }
  const tilde = (file: string) => displayPath(file, ctx.home);
  const width = Math.max(...rows.map((r) => tilde(r.file).length));
  for (const r of rows) {
    io.out(`${tilde(r.file).padEnd(width)}  ${formatBytes(r.bytes).padStart(9)}  ${formatAge(r.ageMs)} ago`);
  }
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  io.out(`${rows.length} archive(s), ${formatBytes(total)}`);
  return 0;
}
