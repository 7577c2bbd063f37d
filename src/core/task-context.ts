import type { Collected } from './collect.ts';
import { createExec, type Spawn } from './context/exec.ts';
import { createFiles } from './context/files.ts';
import { createGuest } from './context/guest.ts';
import { createGuestGate } from './context/guest-gate.ts';
import { createHost } from './context/host.ts';
import { readOnlyContext } from './context/read-only.ts';
import { createOnceCache } from './once.ts';
import { createStateStores } from './state.ts';
import type { AscLog, AscResolvedConfig, AscTaskContext } from './types.ts';

export interface ContextSettings {
  /** Plan mode, `status`, `doctor`: each context is the real one wrapped read-only (`readOnlyContext`). */
  readOnly: boolean;
  yes: boolean;
  /** Read a yes or no at the TTY; the question is shown under the task first. */
  ask?: () => Promise<boolean>;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  home: string;
  backupDir: string;
  /** asc's state folder, where plugins' records live. */
  stateDir: string;
  config: AscResolvedConfig;
  collected: Pick<Collected, 'vm' | 'tools' | 'guestFacts'>;
  /** `--verbose`: failures say more (a failed guest facts read shows its script). */
  verbose?: boolean;
  /** What starts processes (Node's spawn, or execa for files), unless a test answers commands itself (`ascalon/testing`). */
  spawn?: Spawn;
}

/** Who a context is for: the task's (or handler's, or doctor row's) full id, and the plugin that made it. */
export interface ContextOwner {
  id: string;
  /** Its records in `t.state` are this plugin's (a user task's group for user tasks). */
  plugin: string;
}

/**
 * Makes each task's context. Everything run-scoped is shared: the `once` memo (one `limactl list`,
 * one guest round trip), the gate that holds guest commands while a task restarts the VM, and a queue so
 * that concurrent tasks ask one question at a time. It is the one factory of contexts: the CLI's commands
 * and `ascalon/testing` both use it.
 */
export function createContextFactory(
  settings: ContextSettings,
): (owner: ContextOwner, log: AscLog) => AscTaskContext {
  const { collected } = settings;
  const { once, forget } = createOnceCache();
  let questions: Promise<unknown> = Promise.resolve();
  const stateOf = createStateStores(settings.stateDir);
  const gate = createGuestGate();

  return ({ id, plugin }, log) => {
    const exec = createExec({
      signal: settings.signal,
      tools: collected.tools,
      env: settings.env,
      debug: log.debug,
      ...(settings.spawn ? { spawn: settings.spawn } : {}),
    });
    const context: AscTaskContext = {
      id,
      config: settings.config,
      host: createHost(settings.home, settings.stateDir, settings.env, exec, once),
      exec,
      guest: createGuest({
        instance: settings.config.instance,
        exec,
        once,
        forget,
        factScripts: collected.guestFacts,
        gate,
        owner: id,
        verbose: settings.verbose === true,
      }),
      files: createFiles({ home: settings.home, backupDir: settings.backupDir }),
      log,
      signal: settings.signal,
      dryRun: false,
      vm: collected.vm,
      confirm: (question) => {
        if (settings.yes) return Promise.resolve(true);
        const ask = settings.ask;
        if (!ask) return Promise.resolve(false);
        const answer = questions.then(() => {
          log.info(`${question} [y/N]`);
          return ask();
        });
        questions = answer.catch(() => undefined);
        return answer;
      },
      once,
      forget,
      state: stateOf(plugin),
    };
    return settings.readOnly ? readOnlyContext(context, plugin) : context;
  };
}

export interface LogProxy extends AscLog {
  bind(sink: AscLog): void;
}

/** A task's log, usable before the renderer has a row for it: early lines are kept and replayed. */
export function logProxy(): LogProxy {
  let sink: AscLog | undefined;
  const early: [keyof AscLog, string][] = [];
  const emit = (level: keyof AscLog) => (message: string) => {
    if (sink) sink[level](message);
    else early.push([level, message]);
  };
  return {
    info: emit('info'),
    warn: emit('warn'),
    debug: emit('debug'),
    bind(next) {
      sink = next;
      for (const [level, message] of early.splice(0)) next[level](message);
    },
  };
}
