import { AscError, type AscTaskContext } from '../../src/index.ts';

export const LAUNCHCTL = 'launchctl';
const TIMEOUT_MS = 15_000;
/** bootout waits for the job to end: SIGTERM, then SIGKILL after its ExitTimeOut (20 s by default). */
const BOOTOUT_TIMEOUT_MS = 60_000;
/** `launchctl bootout <service>` of a job that is not loaded: 3 "No such process"; 113 on some versions. */
const NOT_LOADED = [3, 113];

/** The user's GUI launchd domain, where LaunchAgents in ~/Library/LaunchAgents are loaded. */
export interface LaunchdSession {
  uid: number;
  /** `gui/<uid>` */
  domain: string;
}

/** Where launchd applies, or why it does not: not a Mac, or no GUI login (gui/<uid> is missing). */
export type SessionProbe =
  | ({ kind: 'ok' } & LaunchdSession)
  | { kind: 'not-mac' | 'no-gui'; reason: string; hint: string };

/**
 * Is this a Mac with a GUI login? macOS is told by the host's tools (`uname -s`), and the gui/<uid> domain
 * by `launchctl print gui/<uid>`, which exists only while the user is logged in at the screen: over plain
 * ssh it answers 112 "Could not find domain" (125 "Domain does not support specified action" on newer
 * macOS, lidge-jun/opencodex#1770). Probed once per run, in the host facts' round: the domain is asc's
 * own uid's, known without a command, so launchctl is asked while `uname` is, not after it (off a Mac,
 * where it is missing, what it said is not read).
 */
export function probeSession(t: AscTaskContext): Promise<SessionProbe> {
  return t.once('launchd:session', async (): Promise<SessionProbe> => {
    const domain = guiDomain(t);
    const print = t.exec.query(LAUNCHCTL, ['print', domain], {
      timeoutMs: TIMEOUT_MS,
      okCodes: [0, 112, 113, 125],
    });
    print.catch(() => undefined);
    const facts = await t.host.facts();
    if (facts.platform !== 'darwin') {
      return {
        kind: 'not-mac',
        reason: `not a Mac (uname -s says ${facts.platform}): launchd and LaunchAgents are macOS only`,
        hint: 'turn the plugin off on this machine (`launchd: false` under plugins)',
      };
    }
    const result = await print;
    if (result.exitCode !== 0) {
      return {
        kind: 'no-gui',
        reason: `no GUI session: \`launchctl print ${domain}\` exited ${result.exitCode} (${lastLine(result.stderr || result.stdout)}); a LaunchAgent loads only for a user logged in at the screen`,
        hint: 'run asc from a terminal on the Mac itself (or over Screen Sharing), not over plain ssh',
      };
    }
    return { kind: 'ok', uid: t.host.uid, domain };
  });
}

/** `gui/<uid>`: the GUI domain of the user asc runs as. */
export function guiDomain(t: AscTaskContext): string {
  return `gui/${t.host.uid}`;
}

/** Thrown by `requireSession` off a Mac or without a GUI login: the task does not apply here. */
export class NotApplicable extends Error {
  readonly hint: string | undefined;
  constructor(reason: string, hint?: string) {
    super(reason);
    this.hint = hint;
  }
}

/** The session, or `NotApplicable` with why the task does not apply here (checks turn it into skip()). */
export async function requireSession(t: AscTaskContext): Promise<LaunchdSession> {
  const probe = await probeSession(t);
  if (probe.kind === 'ok') return probe;
  throw new NotApplicable(probe.reason, probe.hint);
}

/** What `launchctl print gui/<uid>/<label>` says about a loaded job. Its output "is NOT API": parsed leniently. */
export interface LoadedJob {
  loaded: true;
  /** `running` or `not running` */
  state: string;
  pid: number | undefined;
  program: string | undefined;
  arguments: string[];
  /** The plist it was loaded from. */
  path: string | undefined;
  /** null: never exited. */
  lastExitCode: number | null;
  /** The line as launchctl printed it (`78: EX_CONFIG`). */
  lastExit: string | undefined;
}

export type JobStatus = LoadedJob | { loaded: false };

/** `launchctl print gui/<uid>/<label>`: exit 113 means launchd does not know the label. */
export async function printJob(
  t: AscTaskContext,
  session: LaunchdSession,
  label: string,
): Promise<JobStatus> {
  // Read once per run and label (checks read them early, all at once), and again after asc changed
  // what launchd holds (forgetPrints).
  const prints = await t.once(PRINTS, async () => new Map<string, Promise<JobStatus>>());
  let status = prints.get(label);
  if (!status) {
    status = t.exec
      .query(LAUNCHCTL, ['print', `${session.domain}/${label}`], { timeoutMs: TIMEOUT_MS, okCodes: [0, 113] })
      .then((result) => (result.exitCode === 113 ? { loaded: false as const } : parsePrint(result.stdout)));
    prints.set(label, status);
    status.catch(() => prints.delete(label));
  }
  return status;
}

const PRINTS = 'launchd:prints';

/** After a bootout, bootstrap or a limactl autostart change: what launchd holds is read again. */
export function forgetPrints(t: AscTaskContext): void {
  t.forget(PRINTS);
}

export function parsePrint(text: string): LoadedJob {
  const field = (name: string) => new RegExp(`^\\s*${name} = (.*)$`, 'm').exec(text)?.[1]?.trim();
  const args = /^\s*arguments = \{\n([\s\S]*?)\n\s*\}/m.exec(text)?.[1] ?? '';
  const lastExit = field('last exit code');
  const code = lastExit === undefined ? undefined : /^-?\d+/.exec(lastExit)?.[0];
  const pid = field('pid');
  return {
    loaded: true,
    state: field('state') ?? 'unknown',
    pid: pid === undefined ? undefined : Number(pid),
    program: field('program'),
    arguments: args
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    path: field('path'),
    lastExitCode: code === undefined ? null : Number(code),
    lastExit,
  };
}

/**
 * Labels with a `launchctl enable|disable` override in the domain, true = disabled. A disabled service is
 * not loaded at login and cannot be bootstrapped until it is enabled again ("This state persists across
 * boots", launchctl(1)). Read once per run; `forget()` after asc changed it.
 */
export class DisabledLabels {
  #read: Promise<Map<string, boolean>> | undefined;

  async isDisabled(t: AscTaskContext, session: LaunchdSession, label: string): Promise<boolean> {
    this.#read ??= readDisabled(t, session);
    this.#read.catch(() => {
      this.#read = undefined;
    });
    return (await this.#read).get(label) === true;
  }

  forget(): void {
    this.#read = undefined;
  }
}

export function disabledLabels(t: AscTaskContext): Promise<DisabledLabels> {
  return t.once('launchd:disabled', async () => new DisabledLabels());
}

/** `"label" => disabled|enabled` (macOS 13 and later) or `=> true|false` (older). */
async function readDisabled(t: AscTaskContext, session: LaunchdSession): Promise<Map<string, boolean>> {
  const { stdout } = await t.exec.query(LAUNCHCTL, ['print-disabled', session.domain], {
    timeoutMs: TIMEOUT_MS,
  });
  const labels = new Map<string, boolean>();
  for (const match of stdout.matchAll(/^\s*"([^"]+)" => (\w+)/gm)) {
    labels.set(match[1] ?? '', match[2] === 'disabled' || match[2] === 'true');
  }
  return labels;
}

/** Unload a job; one that is not loaded is fine. */
export async function bootout(t: AscTaskContext, session: LaunchdSession, label: string): Promise<void> {
  forgetPrints(t);
  await t.exec.run(LAUNCHCTL, ['bootout', `${session.domain}/${label}`], {
    timeoutMs: BOOTOUT_TIMEOUT_MS,
    okCodes: [0, ...NOT_LOADED],
  });
}

/**
 * Load (or reload) a plist the way Lima's own RequestStart does (pkg/autostart/launchd/launchd.go):
 * `bootout` (not loaded is fine), `enable` (a disabled service cannot be bootstrapped), `bootstrap`. Exit 5
 * right after a bootout can be launchd still tearing the old job down: unload and try once more. Never the
 * legacy `load`/`unload`, whose exit status is 0 whatever happened.
 */
export async function loadAgent(
  t: AscTaskContext,
  session: LaunchdSession,
  label: string,
  file: string,
): Promise<void> {
  await bootout(t, session, label);
  await t.exec.run(LAUNCHCTL, ['enable', `${session.domain}/${label}`], { timeoutMs: TIMEOUT_MS });
  const bootstrap = () =>
    t.exec.run(LAUNCHCTL, ['bootstrap', session.domain, file], {
      timeoutMs: BOOTOUT_TIMEOUT_MS,
      okCodes: [0, 5],
    });
  let result = await bootstrap().finally(() => forgetPrints(t));
  if (result.exitCode === 5) {
    t.log.info(
      `launchctl bootstrap answered 5 (Input/output error); unloading ${label} and trying once more`,
    );
    await bootout(t, session, label);
    result = await bootstrap().finally(() => forgetPrints(t));
  }
  if (result.exitCode !== 0) {
    throw new AscError(
      `launchctl bootstrap ${session.domain} ${file} failed twice with exit 5: ${firstLine(result.stderr)}`,
      {
        code: 'E_COMMAND_FAILED',
        hint: `\`launchctl print ${session.domain}/${label}\` shows what launchd holds; if it still lists the old job, log out and back in (launchd loads the plist at login), then run asc again`,
      },
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
