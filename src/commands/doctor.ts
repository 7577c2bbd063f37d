import { setMaxListeners } from 'node:events';
import path from 'node:path';
import { coreDoctorChecks, type DoctorRow, runDoctor } from '../core/doctor.ts';
import { AscError } from '../core/errors.ts';
import { type AscSession, prepareSession } from '../core/session.ts';
import { fileStamp, stateDir } from '../core/state.ts';
import { createContextFactory } from '../core/task-context.ts';
import type { AscLog } from '../core/types.ts';
import { type CommandIo, createIo, type GlobalOptions } from './io.ts';
import type { CommandEnv } from './session.ts';

const MARK = { ok: '✔', warn: '⚠', fail: '✖' } as const;

/**
 * `asc doctor`: one row per check, the core's and every enabled plugin's, all read-only and run at once.
 * A broken config is a failed row, not the end: the plugin rows then come from the built-in defaults.
 * Exit 1 only when a row fails.
 */
export async function doctor(options: GlobalOptions, ctx: CommandEnv): Promise<number> {
  const io = createIo(options, ctx.env);
  const state = stateDir(ctx.home, ctx.env);
  let session: AscSession;
  let configError: AscError | undefined;
  try {
    session = await prepareSession({
      ...ctx,
      ...(options.config ? { configPath: options.config } : {}),
      noCache: options.cache === false,
    });
  } catch (error) {
    if (!(error instanceof AscError) || error.exitCode !== 2) throw error;
    configError = error;
    session = await prepareSession({ ...ctx, defaultsOnly: true });
  }
  // Each command in flight listens on the signal until it ends: many at once is not a leak.
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  const contextFor = createContextFactory({
    readOnly: true,
    yes: false,
    signal,
    env: ctx.env,
    home: ctx.home,
    backupDir: path.join(state, 'backups', fileStamp()),
    stateDir: state,
    config: session.config,
    collected: session.collected,
  });
  const quiet: AscLog = { info: () => {}, warn: () => {}, debug: () => {} };
  const nodes = [
    ...coreDoctorChecks({
      configFile: configError ? undefined : session.loaded.file,
      configError,
      stateDir: state,
      handlerIds: new Set(session.graph.handlers.keys()),
    }),
    ...session.collected.doctor,
  ];
  const rows = await runDoctor(nodes, (node) => contextFor(node, quiet), {
    concurrency: 8,
    verbose: options.verbose === true,
  });
  const exitCode = rows.some((row) => row.status === 'fail') ? 1 : 0;
  if (io.json) io.document(JSON.stringify({ exitCode, rows }, null, 2));
  else printRows(io, rows);
  return exitCode;
}

function printRows(io: CommandIo, rows: readonly DoctorRow[]): void {
  const width = Math.max(...rows.map((row) => row.id.length));
  const color = { ok: 'green', warn: 'yellow', fail: 'red' } as const;
  for (const row of rows) {
    const mark = io.color(color[row.status], MARK[row.status]);
    const pad = ' '.repeat(width + 4);
    io.out(`${mark} ${row.id.padEnd(width)}  ${row.message.split('\n').join(`\n${pad}`)}`);
    if (row.fix) io.out(`${pad}fix: ${row.fix.split('\n').join(`\n${pad}     `)}`);
  }
  const count = (status: DoctorRow['status']) => rows.filter((row) => row.status === status).length;
  io.out(`doctor: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`);
}
