import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AscTaskContext, AscVmPortForward, AscVmSpec, YamlEdit } from '../../src/index.ts';

/**
 * What asc put into an instance's lima.yaml for other plugins and the lima options: the socket and port
 * forwards, the env keys, the provision scripts. Recorded (in asc's state folder) at every write, so that
 * `asc uninstall` takes out exactly these, even those of a plugin that has been turned off since.
 */
export interface Managed {
  portForwards: AscVmPortForward[];
  env: string[];
  provision: { mode: string; script: string }[];
}

const key = (instance: string) => `managed:${instance}`;

/** Add the spec's forwards, env keys and provision scripts to the instance's record. */
export async function recordManaged(
  t: AscTaskContext,
  instance: string,
  spec: Readonly<AscVmSpec>,
): Promise<void> {
  const known = await readManaged(t, instance);
  await t.state.set(key(instance), union(known, fromSpec(spec)));
}

/** The record, plus what the current spec would add (a run may have been interrupted before recording). */
export async function managedOf(t: AscTaskContext, instance: string): Promise<Managed> {
  return union(await readManaged(t, instance), fromSpec(t.vm));
}

export async function forgetManaged(t: AscTaskContext, instance: string): Promise<void> {
  await t.state.delete(key(instance));
}

/**
 * The edits that take the managed entries out of a parsed lima.yaml, with a reason each. Sequence items
 * are deleted from the last, so earlier indexes stay right while the edits apply one after another.
 */
export function removalEdits(
  doc: Record<string, unknown>,
  managed: Managed,
): { edits: YamlEdit[]; reasons: string[] } {
  const items = (value: unknown) => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);
  const ours = (have: Record<string, unknown>) =>
    managed.portForwards.some((want) =>
      Object.entries(compact(want)).every(([k, v]) => isDeepStrictEqual(have[k], v)),
    );
  // An `ignore` rule forwards nothing: it keeps Lima from forwarding a guest port (NixOS's DHCP client on
  // UDP/68, which breaks the Mac's DHCP when forwarded: nixos-lima#50). The VM stays, so the rule stays.
  const forwards = items(doc.portForwards).flatMap((have, index) =>
    ours(have) && have.ignore !== true
      ? [{ index, name: String(have.guestSocket ?? have.guestPort ?? index) }]
      : [],
  );
  const envMap = (doc.env ?? {}) as Record<string, unknown>;
  const env = Object.keys(envMap).filter((name) => managed.env.includes(name));
  const provision = items(doc.provision).flatMap((have, index) =>
    managed.provision.some(
      (p) => (have.mode ?? 'system') === p.mode && String(have.script ?? '').trim() === p.script.trim(),
    )
      ? [{ index, mode: String(have.mode ?? 'system') }]
      : [],
  );
  // A key whose every entry is asc's goes as a whole: no `portForwards: []` is left behind.
  const whole = (key: string, removed: number, total: number): YamlEdit[] | undefined =>
    removed > 0 && removed === total ? [{ op: 'delete', path: [key] }] : undefined;
  return {
    edits: [
      ...(whole('portForwards', forwards.length, items(doc.portForwards).length) ??
        forwards.map(({ index }): YamlEdit => ({ op: 'delete', path: ['portForwards', index] })).reverse()),
      ...(whole('env', env.length, Object.keys(envMap).length) ??
        env.map((name): YamlEdit => ({ op: 'delete', path: ['env', name] }))),
      ...(whole('provision', provision.length, items(doc.provision).length) ??
        provision.map(({ index }): YamlEdit => ({ op: 'delete', path: ['provision', index] })).reverse()),
    ],
    reasons: [
      ...forwards.map((f) => `port forward ${f.name}`),
      ...env.map((name) => `env ${name}`),
      ...provision.map((p) => `provision script (${p.mode})`),
    ],
  };
}

/** sha256 of a text, to recognise a file asc wrote without keeping its content. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readManaged(t: AscTaskContext, instance: string): Promise<Managed> {
  const known = await t.state.get<Partial<Managed>>(key(instance));
  return {
    portForwards: known?.portForwards ?? [],
    env: known?.env ?? [],
    provision: known?.provision ?? [],
  };
}

function fromSpec(spec: Readonly<AscVmSpec>): Managed {
  return {
    portForwards: spec.portForwards.map((f) => compact({ ...f })),
    env: Object.keys(spec.env),
    provision: spec.provision.map((p) => ({ mode: p.mode, script: p.script })),
  };
}

function union(a: Managed, b: Managed): Managed {
  const unique = <T>(list: T[]) =>
    list.filter((x, i) => list.findIndex((y) => isDeepStrictEqual(x, y)) === i);
  return {
    portForwards: unique([...a.portForwards, ...b.portForwards]),
    env: [...new Set([...a.env, ...b.env])],
    provision: unique([...a.provision, ...b.provision]),
  };
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
