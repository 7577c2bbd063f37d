import type { Collected } from './collect.ts';
import { createExec } from './context/exec.ts';
import { createFiles } from './context/files.ts';
import { createGuest } from './context/guest.ts';
import { createGuestGate } from './context/guest-gate.ts';
import { createHost } from './context/host.ts';
import { createOnceCache } from './once.ts';
import { createStateStores } from './state.ts';
import type { AscLog, AscResolvedConfig, AscTaskContext } from './types.ts';

export interface ContextSettings {
  dryRun: boolean;
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
}

/**
 * Makes each task's context. Everything run-scoped is shared: the `once` memo (one `limactl list`,
 * one guest round trip), the gate that holds guest commands while a task restarts the VM, and a queue so
 * that concurrent tasks ask one question at a time.
 */
export function createContextFactory(settings: ContextSettings): (id: string, log: AscLog) => AscTaskContext {
  const { dryRun, collected } = settings;
  const { once, forget } = createOnceCache();
  let questions: Promise<unknown> = Promise.resolve();
  const stateOf = createStateStores(settings.stateDir, dryRun);
  const gate = createGuestGate();

  return (id, log) => {
    const exec = createExec({
      dryRun,
      signal: settings.signal,
      tools: collected.tools,
      env: settings.env,
      debug: log.debug,
    });
    return {
      id,
      config: settings.config,
      host: createHost(settings.home, settings.stateDir, settings.env, exec, once),
      exec,
      guest: createGuest({
        instance: settings.config.instance,
        exec,
        dryRun,
        once,
        forget,
        factScripts: collected.guestFacts,
        gate,
        owner: id,
        verbose: settings.verbose === true,
      }),
      files: createFiles({ dryRun, home: settings.home, backupDir: settings.backupDir }),
      log,
      signal: settings.signal,
      dryRun,
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
      state: stateOf(id.split('.')[0] ?? id),
    };
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
