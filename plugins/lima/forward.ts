/**
 * A service on the Mac, reached from the guest through a Lima reverse socket forward, as the docker and
 * onepassword plugins use it. The pieces:
 * - the VM spec: `{ guestSocket: "{{.Home}}/<guest file>", hostSocket: "{{.Dir}}/sock/<link>", reverse: true }`.
 *   The guest end lives in the guest home, the one folder that exists at boot on every Lima version and
 *   guest OS (sshd creates the socket, not its folder). The Mac end is a symlink asc keeps in the instance
 *   folder, pointing at the real socket (Colima's, 1Password's): ssh connects through it at each
 *   connection, so a new target needs no VM restart, and a long path or one with a space never reaches
 *   lima.yaml (Lima requires hostSocket shorter than 104 characters, pkg/limayaml/validate.go);
 * - healing: Lima's forwards ride its ssh ControlMaster (`<instance dir>/ssh.sock`) and die with it when
 *   the Mac sleeps; Lima never re-creates them (lima#5420). `healForward` does, over the same master;
 * - guest probes that are read once per run as guest facts, and afresh after an apply changed them.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AscError,
  type AscTask,
  type AscTaskContext,
  type AscVmPortForward,
  checkSocketPath,
  displayPath,
  drift,
  ok,
} from '../../src/index.ts';
import { hostAlias, limaState } from './limactl.ts';

/** One forwarded service: its socket's name in the guest home, and its link's name in `<instance dir>/sock`. */
export interface HostService {
  /** In the guest home: `.asc-docker.sock`. */
  guestFile: string;
  /** In `<instance dir>/sock`: `asc-docker.sock`. */
  linkFile: string;
}

/** The portForwards entry of the VM spec (templates are Lima's: guest home, instance folder). */
export function forwardRule(service: HostService): AscVmPortForward {
  return {
    guestSocket: `{{.Home}}/${service.guestFile}`,
    hostSocket: `{{.Dir}}/sock/${service.linkFile}`,
    reverse: true,
  };
}

/** The guest socket as an env value: the lima plugin expands `{{.Home}}` (Lima writes env verbatim). */
export function guestSocketTemplate(service: HostService): string {
  return `{{.Home}}/${service.guestFile}`;
}

/** The instance folder, from the run's one `limactl list`; undefined when there is no instance. */
async function instanceDir(t: AscTaskContext): Promise<string | undefined> {
  return (await (await limaState(t)).instance(t, t.config.instance))?.dir;
}

/** Where the Mac end of a service's forward is: `<instance dir>/sock/<link>`. */
export async function linkPath(t: AscTaskContext, service: HostService): Promise<string> {
  const dir = await instanceDir(t);
  if (!dir) {
    throw new AscError(`no instance named ${t.config.instance}`, {
      code: 'E_COMMAND_FAILED',
      hint: 'run `asc run lima.instance`',
    });
  }
  const link = path.join(dir, 'sock', service.linkFile);
  // ssh binds and connects through this path: one macOS cannot use is a clear error before any change.
  checkSocketPath(link, 'the forward’s socket link', 'use a shorter LIMA_HOME (or instance name)');
  return link;
}

/** What is at the link's place: nothing, a symlink (and its target), or something else asc must not touch. */
export async function readLink(
  t: AscTaskContext,
  file: string,
): Promise<{ kind: 'none' } | { kind: 'link'; target: string } | { kind: 'other' }> {
  const info = await t.files.lstat(file);
  if (!info) return { kind: 'none' };
  const target = info.kind === 'symlink' ? await t.files.readlink(file) : undefined;
  return target === undefined ? { kind: 'other' } : { kind: 'link', target };
}

/** The link of a service as it is now, or `none` when there is no instance (no folder to hold it). */
export async function currentLink(t: AscTaskContext, service: HostService) {
  const dir = await instanceDir(t);
  return dir ? readLink(t, path.join(dir, 'sock', service.linkFile)) : ({ kind: 'none' } as const);
}

/**
 * The `asc uninstall` task for a service's link: the only thing on the Mac these plugins make outside
 * lima.yaml (whose forward and env the lima plugin's uninstall takes back). Only a symlink is removed.
 */
export function removeLinkTask(id: string, title: string, service: HostService): AscTask {
  return {
    id,
    title,
    async check(t) {
      const dir = await instanceDir(t);
      if (!dir) return ok(`no instance named ${t.config.instance}`);
      const link = path.join(dir, 'sock', service.linkFile);
      const now = await readLink(t, link);
      return now.kind === 'link' ? drift(`${displayPath(link, t.host.home)} would be removed`) : ok();
    },
    async apply(t) {
      const link = await linkPath(t, service);
      if ((await readLink(t, link)).kind === 'link') await t.files.remove(link);
    },
  };
}

/** What a host-socket link should point at, and where that was learned (`colima status`, `ssh -G`…). */
export interface LinkTarget {
  socket: string;
  source: string;
}

/**
 * The task that keeps `<instance dir>/sock/<link>` pointing at the service's socket on the Mac: the Mac
 * end of the forward, changed without a VM restart (docker's daemon, 1Password's agent).
 * `readThrough` names the guest facts that talk through the forward (`docker version`, `ssh-add -l`): a
 * run may have read them before this task moved the link, so they are stale once it has.
 */
export function linkTask(
  id: string,
  title: string,
  service: HostService,
  targetOf: (t: AscTaskContext, current: Promise<string | undefined>) => Promise<LinkTarget>,
  readThrough: readonly string[],
): AscTask {
  // The link (behind the instance's folder, from `limactl list`) and the target (`colima status`,
  // `ssh -G`) are read at once: on a converged Mac neither call waits for the other. The target is
  // handed what the link points at now, which it awaits only when it needs it.
  const ends = async (t: AscTaskContext) => {
    const found = linkPath(t, service).then(async (link) => ({ link, now: await readLink(t, link) }));
    const current = found.then(({ now }) => (now.kind === 'link' ? now.target : undefined));
    current.catch(() => undefined);
    const [{ link, now }, target] = await Promise.all([found, targetOf(t, current)]);
    return { link, now, target };
  };
  return {
    id,
    title,
    phase: 'phase2',
    // The link lives in the instance folder, which `limactl create` must make itself.
    needs: ['lima.instance'],
    async check(t) {
      const { link, now, target } = await ends(t);
      const shown = displayPath(link, t.host.home);
      if (now.kind === 'other') return drift(`${shown} is there but is not a symlink`);
      if (now.kind === 'link' && now.target === target.socket) {
        return ok(`${shown} → ${displayPath(target.socket, t.host.home)}`);
      }
      const was = now.kind === 'link' ? `points at ${displayPath(now.target, t.host.home)}` : 'is missing';
      return drift(`${shown} ${was}, want → ${displayPath(target.socket, t.host.home)} (${target.source})`);
    },
    async apply(t) {
      const { link, target } = await ends(t);
      // A new link renamed over the old one; anything but a link there is refused.
      await t.files.symlink(target.socket, link);
      for (const fact of readThrough) await markStale(t, fact);
    },
  };
}

/** The guest OS's id (`ubuntu`, `nixos`), from /etc/os-release: a guest fact script. */
export const OS_ID_SCRIPT = '. /etc/os-release && printf %s "$ID"';

/**
 * A guest probe: the plugin's guest fact, read with every plugin's facts in one round trip; after an
 * apply changed what it describes (`markStale`), run again with `t.guest.query`.
 */
export async function guestProbe(t: AscTaskContext, fact: string, script: string): Promise<string> {
  const stale = await staleFacts(t);
  if (!stale.has(fact)) {
    const value = (await t.guest.facts())[fact];
    if (value !== undefined) return value;
  }
  const { stdout } = await t.guest.query(['sh', '-c', script], { timeoutMs: 60_000 });
  return stdout;
}

/** After an apply: this run's cached value of the fact no longer holds. */
export async function markStale(t: AscTaskContext, fact: string): Promise<void> {
  (await staleFacts(t)).add(fact);
}

function staleFacts(t: AscTaskContext): Promise<Set<string>> {
  return t.once('lima:stale-guest-facts', async () => new Set<string>());
}

/** `key=value` lines (a probe's output) → the first value of each key, and every `out=` line joined. */
export function parseProbe(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'out') out.push(value);
    else values[key] ??= value;
  }
  if (out.length > 0) values.out = out.join('\n').trim();
  return values;
}

/** The part of a probe that says what is at the guest end: `socket=yes|other|no` and the guest's uptime. */
export function socketProbeLines(guestFile: string): string {
  return [
    `s="$HOME/${guestFile}"`,
    `printf 'home=%s\\n' "$HOME"`,
    'if [ -S "$s" ]; then echo socket=yes; elif [ -e "$s" ]; then echo socket=other; else echo socket=no; fi',
    `printf 'uptime=%s\\n' "$(cut -d' ' -f1 /proc/uptime 2>/dev/null)"`,
  ].join('\n');
}

/** Lima sets socket forwards up after boot, concurrently with the rest of the start (pkg/hostagent). */
const BOOT_GRACE_SECONDS = 120;

/**
 * Right after the VM booted, the forward may not be there yet: poll `works` (bounded) before deciding it
 * is broken. Returns true as soon as it works; false once the guest is past its boot grace.
 */
export async function waitAfterBoot(
  t: AscTaskContext,
  uptimeSeconds: number | undefined,
  works: () => Promise<boolean>,
): Promise<boolean> {
  if (uptimeSeconds === undefined || !(uptimeSeconds < BOOT_GRACE_SECONDS)) return false;
  const deadline = Date.now() + Math.min(60, BOOT_GRACE_SECONDS - uptimeSeconds) * 1000;
  t.log.info('the VM has just booted: waiting for Lima to set its socket forwards up');
  while (Date.now() < deadline) {
    await sleep(2000, undefined, { signal: t.signal });
    if (await works()) return true;
  }
  return false;
}

/**
 * Re-create a reverse socket forward over Lima's own ssh master (`ssh -F <instance dir>/ssh.config`,
 * whose ControlPath is `<instance dir>/ssh.sock`), without a VM restart:
 * 1. a master to ride: the running one, or a new one on the same ControlPath (ssh.config has
 *    ControlMaster auto and ControlPersist yes, so `ssh … true` leaves one in the background);
 * 2. drop the dead registration, if this master has one, and remove the stale guest socket: the guest's
 *    sshd does not replace a leftover file (StreamLocalBindUnlink no), as Lima's own `rm -f` shows
 *    (pkg/hostagent/hostagent.go, forwardSSH);
 * 3. `ssh -O forward -R <guest>:<host>`.
 * Heals run one at a time, so that two plugins never start two masters at once.
 */
export async function healForward(t: AscTaskContext, guestSocket: string, hostSocket: string): Promise<void> {
  const queue = await t.once('lima:heal-queue', async () => ({
    tail: Promise.resolve() as Promise<unknown>,
  }));
  const mine = queue.tail.then(() => heal(t, guestSocket, hostSocket));
  queue.tail = mine.catch(() => undefined);
  await mine;
}

async function heal(t: AscTaskContext, guestSocket: string, hostSocket: string): Promise<void> {
  const dir = await instanceDir(t);
  if (!dir) throw new AscError(`no instance named ${t.config.instance}`, { code: 'E_COMMAND_FAILED' });
  const alias = hostAlias(t.config.instance);
  const ssh = ['-F', path.join(dir, 'ssh.config'), '-o', 'ConnectTimeout=15'];
  const spec = `${guestSocket}:${hostSocket}`;
  const anyCode = { okCodes: Array.from({ length: 256 }, (_, code) => code), timeoutMs: 30_000 };
  t.log.info(
    `re-creating the forward ${displayPath(hostSocket, t.host.home)} → ${guestSocket} over ${alias}'s ssh master`,
  );
  const check = await t.exec.query('ssh', [...ssh, '-O', 'check', alias], anyCode);
  if (check.exitCode !== 0) {
    await t.exec.run('ssh', [...ssh, alias, 'true'], { timeoutMs: 60_000 });
  }
  await t.exec.run('ssh', [...ssh, '-O', 'cancel', '-R', spec, alias], anyCode);
  await t.guest.run(['rm', '-f', guestSocket], { timeoutMs: 30_000 });
  await t.exec.run('ssh', [...ssh, '-O', 'forward', '-R', spec, alias], { timeoutMs: 30_000 });
}
