/**
 * Plan mode, `status` and `doctor` as one wrapper of a task's context, as chezmoi's dry-run System wraps
 * its real one: every method that only looks is passed through, every one that may change something
 * refuses with `E_PLAN_WRITE`. The real implementations know nothing of plan mode, so there is no branch
 * to forget in them, and a check that writes fails loudly instead of writing.
 */
import { AscError } from '../errors.ts';
import type { AscExec, AscExecOptions, AscFiles, AscGuest, AscState, AscTaskContext } from '../types.ts';
import { quote } from './exec.ts';
import { quotePath } from './file-errors.ts';

/** The same context, read-only: `dryRun` true, and exec, guest, files and state refusing every change. */
export function readOnlyContext(t: AscTaskContext, plugin: string): AscTaskContext {
  return {
    ...t,
    dryRun: true,
    exec: readOnlyExec(t.exec),
    guest: readOnlyGuest(t.guest),
    files: readOnlyFiles(t.files),
    state: readOnlyState(t.state, plugin),
  };
}

/** The error every refusal throws: what was refused, and what to do instead ("write in apply"). */
function refusal(what: string, instead: string): AscError {
  return new AscError(`plan mode: refusing to ${what}`, {
    code: 'E_PLAN_WRITE',
    hint: `a check must only read; ${instead}`,
  });
}

export function planRefusal(command: string): AscError {
  return refusal(`run a command that may change something: ${command}`, 'move this command into apply');
}

/** A query that streams its output into a file writes that file. */
function refuseOutputFile(options: AscExecOptions | undefined, command: string): void {
  if (options?.stdoutFile === undefined) return;
  throw refusal(`write ${quotePath(options.stdoutFile)} (the output of ${command})`, 'write it in apply');
}

export function readOnlyExec(exec: AscExec): AscExec {
  return {
    query: async (file, args, options) => {
      refuseOutputFile(options, quote([file, ...args]));
      return exec.query(file, args, options);
    },
    run: async (file, args) => {
      throw planRefusal(quote([file, ...args]));
    },
    which: (file) => exec.which(file),
  };
}

export function readOnlyGuest(guest: AscGuest): AscGuest {
  return {
    query: async (args, options) => {
      refuseOutputFile(options, `(in the VM) ${quote(args)}`);
      return guest.query(args, options);
    },
    run: async (args) => {
      throw planRefusal(`(in the VM) ${quote(args)}`);
    },
    facts: () => guest.facts(),
    refresh: () => guest.refresh(),
  };
}

export function readOnlyFiles(files: AscFiles): AscFiles {
  const refuse = (verb: string, file: string) =>
    Promise.reject(refusal(`${verb} ${quotePath(file)}`, `${verb} in apply`));
  return {
    read: (file) => files.read(file),
    readBytes: (file) => files.readBytes(file),
    stat: (file) => files.stat(file),
    lstat: (file) => files.lstat(file),
    readlink: (file) => files.readlink(file),
    realpath: (file) => files.realpath(file),
    diff: (file, desired) => files.diff(file, desired),
    write: (file) => refuse('write', file),
    remove: (file) => refuse('remove', file),
    backup: (file) => refuse('back up', file),
    symlink: (_target, link) => refuse('link', link),
    mkdir: (dir) => refuse('create the folder', dir),
    rename: (from) => refuse('move', from),
    removeDir: (dir) => refuse('remove the folder', dir),
  };
}

export function readOnlyState(state: AscState, plugin: string): AscState {
  const refuse = (key: string) =>
    Promise.reject(refusal(`change asc's record ${plugin}.${key}`, 'record state in apply'));
  return {
    get: (key) => state.get(key),
    set: (key) => refuse(key),
    delete: (key) => refuse(key),
  };
}
