// stop / restart / delete / edit (cmd/limactl/{stop,delete,edit}.go, pkg/instance/{stop,delete}.go);
// texts follow cmd/limactl and pkg/instance.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { wipeGuestDisk } from '../guest/system.mjs';
import { argsError } from './cli.mjs';
import { editFlagSpec, refuseEditFlags, requireNonInteractive, startInstance } from './create.mjs';
import { killInstanceProcesses } from './hostagent.mjs';
import { info, LimaError, warn } from './log.mjs';
import { inspect, instanceDir, sim } from './store.mjs';
import { validateInstName } from './util.mjs';

/** StopForcibly, with its log lines. */
async function stopForcibly(inst) {
  const vmType = inst.config?.vmType ?? 'vz';
  if (inst.driverPID) info(`Sending SIGKILL to the ${vmType} driver process ${inst.driverPID}`);
  else info(`The ${vmType} driver process seems already stopped`);
  if (inst.hostAgentPID) info(`Sending SIGKILL to the host agent process ${inst.hostAgentPID}`);
  else info('The host agent process seems already stopped');
  await killInstanceProcesses(inst.dir);
  info(`Removing *.pid *.sock *.tmp under ${backquoteDir(inst.dir)}`);
  for (const f of readdirSync(inst.dir)) {
    if (/\.(pid|sock|tmp)$/.test(f)) {
      info(`Removing ${backquoteDir(path.join(inst.dir, f))}`);
      rmSync(path.join(inst.dir, f), { force: true });
    }
  }
}

const backquoteDir = (p) => `\`${p}\``;

/** StopGracefully: requires Running (pkg/instance/stop.go: stopping a stopped instance is not a no-op). */
async function stopGracefully(ctx, inst, isRestart = false) {
  if (inst.status !== 'Running') {
    if (isRestart) {
      warn('The instance is not running, continuing with the restart');
      return;
    }
    throw new LimaError(
      `expected status ${ctx.q('Running')}, got ${ctx.q(inst.status)} (maybe use \`limactl stop -f\`?)`,
    );
  }
  info(`Sending SIGINT to hostagent process ${inst.hostAgentPID}`);
  info('Waiting for the host agent and the driver processes to shut down');
  await killInstanceProcesses(inst.dir);
  info('Waiting for the instance to shut down');
  // Test hook: a stop that takes its time, as on a loaded Mac. The VM is down; the command returns only
  // after a writer has opened (and closed) this FIFO, so a test decides what happens in the meantime.
  const fifo = process.env.FAKE_LIMACTL_STOP_FIFO;
  if (fifo && !isRestart) readFileSync(fifo);
  info(`The instance ${inst.name} has shut down`);
}

export async function stopCommand(ctx, args) {
  const { flags, positionals } = ctx.parse(args, { force: { type: 'bool', short: 'f', def: false } });
  const names = positionals.length > 0 ? positionals : ['default'];
  const errors = [];
  for (const name of names) {
    const inst = inspect(name);
    if (!inst) {
      errors.push(`open ${path.join(instanceDir(name), 'lima.yaml')}: no such file or directory`);
      continue;
    }
    try {
      if (flags.force) await stopForcibly(inst);
      else await stopGracefully(ctx, inst);
    } catch (error) {
      if (!(error instanceof LimaError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length > 0) throw new LimaError(errors.join('\n'));
}

export async function restartCommand(ctx, args) {
  const { flags, changed, positionals } = ctx.parse(args, {
    force: { type: 'bool', short: 'f', def: false },
    progress: { type: 'bool', def: false },
    ...editFlagSpec,
  });
  requireNonInteractive(ctx, 'restart');
  refuseEditFlags('restart', changed);
  const name = positionals[0] ?? 'default';
  const inst = inspect(name);
  if (!inst) throw new LimaError(`instance ${ctx.q(name)} not found`);
  if (flags.force) await stopForcibly(inst);
  else await stopGracefully(ctx, inst, true);
  await startInstance(ctx, name);
}

export async function deleteCommand(ctx, args) {
  const { flags, positionals } = ctx.parse(args, { force: { type: 'bool', short: 'f', def: false } });
  if (positionals.length === 0) {
    throw argsError(
      'delete',
      'delete INSTANCE [INSTANCE, ...] [flags]',
      'Delete an instance of Lima',
      'requires at least 1 arg(s), only received 0',
    );
  }
  const q = ctx.q;
  for (const name of positionals) {
    const inst = inspect(name);
    if (!inst) {
      if (existsSync(instanceDir(name))) {
        throw new LimaError(
          `instance ${q(name)} directory ${q(instanceDir(name))} exists but its ${q('lima.yaml')} could not be read; it was NOT deleted, in case it is currently being cloned into. If no \`limactl\` operation is using it, remove it manually`,
        );
      }
      warn(`Ignoring non-existent instance ${q(name)}`);
      continue;
    }
    if (inst.protected) {
      throw new LimaError(
        `failed to delete instance ${q(name)}: instance is protected to prohibit accidental removal (Hint: use \`limactl unprotect\`)`,
      );
    }
    if (!flags.force && inst.status !== 'Stopped') {
      throw new LimaError(
        `failed to delete instance ${q(name)}: expected status ${q('Stopped')}, got ${q(inst.status)}`,
      );
    }
    await stopForcibly(inst);
    rmSync(inst.dir, { recursive: true, force: true });
    // Its disk goes with it: the next instance starts from its image's empty guest (one disk per sandbox).
    wipeGuestDisk(sim().guestRoot, sim().root);
    info(`Deleted ${q(name)} (${q(inst.dir)})`);
  }
}

export async function editCommand(ctx, args) {
  const { changed, positionals } = ctx.parse(args, {
    start: { type: 'bool', def: false },
    ...editFlagSpec,
  });
  if (positionals.length > 1) {
    throw argsError(
      'edit',
      'edit INSTANCE|FILE.yaml [flags]',
      'Edit an instance of Lima or a template',
      `accepts at most 1 arg(s), received ${positionals.length}`,
    );
  }
  requireNonInteractive(ctx, 'edit');
  const arg = positionals[0] ?? 'default';
  if (validateInstName(arg) === undefined) {
    const inst = inspect(arg);
    if (!inst) throw new LimaError(`instance ${ctx.q(arg)} not found`);
    if (inst.status === 'Running') throw new LimaError('cannot edit a running instance');
  }
  refuseEditFlags('edit', changed);
  // No yq expression and no editor (tty off): the buffer is empty (cmd/limactl/edit.go).
  info('Aborting, as requested by saving the file with empty content');
}
