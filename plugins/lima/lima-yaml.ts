import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { AscError, type AscVmSpec, type YamlEdit } from '../../src/index.ts';
import { formatSize, parseSize } from './sizes.ts';

/** What asc would change in an instance's lima.yaml, and why, in the user's words. */
export interface LimaYamlDrift {
  edits: YamlEdit[];
  reasons: string[];
  /** What asc leaves as it is on purpose, for an info line (a disk larger than asked). */
  notes: string[];
}

/** Values Lima applied: lima.yaml says `null` for a key left to the default, `limactl list` says what it is. */
export interface Effective {
  cpus?: number | undefined;
  memory?: number | undefined;
  disk?: number | undefined;
  /** The instance's values of Lima's guest templates, to expand them in `env` (see expandGuestTemplate). */
  guest?: GuestTemplateVars | undefined;
}

/** What Lima's guest templates stand for in one instance (pkg/limayaml/defaults.go, executeGuestTemplate). */
export interface GuestTemplateVars {
  Home: string;
  User: string;
  UID: number;
  Name: string;
  Hostname: string;
}

const GUEST_TEMPLATE = /\{\{-?\s*\.(Home|User|UID|Name|Hostname)\s*-?\}\}/g;

/** True when a value uses one of Lima's guest templates (`{{.Home}}`…). */
export function hasGuestTemplate(value: string): boolean {
  return new RegExp(GUEST_TEMPLATE.source).test(value);
}

/**
 * Lima expands guest templates in guestSocket, mountPoint and provision scripts, but writes `env` to the
 * guest's /etc/environment verbatim (pkg/limayaml/defaults.go merges env without executeGuestTemplate;
 * pkg/cidata/cidata.TEMPLATE.d/etc_environment prints the values as they are). asc expands them itself, so
 * that `DOCKER_HOST: unix://{{.Home}}/…` reaches guest shells as a real path.
 */
export function expandGuestTemplate(value: string, vars: GuestTemplateVars): string {
  return value.replace(GUEST_TEMPLATE, (_, field: keyof GuestTemplateVars) => String(vars[field]));
}

type Doc = Record<string, unknown>;

/**
 * Compare the desired VM spec with an instance's lima.yaml (parsed). Only keys the spec sets are compared;
 * everything else in the file is the user's. Sizes compare as bytes; `disk` is a minimum (Lima only grows
 * a disk, and every template leaves it null, which is Lima's 100GiB): a larger disk is kept, with a note.
 * A file with `plain: true` is refused when the spec has mounts or port forwards, which Lima drops then.
 */
export function limaYamlDrift(
  current: Doc,
  spec: Readonly<AscVmSpec>,
  home: string,
  effective: Effective,
): LimaYamlDrift {
  const edits: YamlEdit[] = [];
  const reasons: string[] = [];
  const notes: string[] = [];
  refusePlain(current, spec);
  const set = (path: (string | number)[], value: unknown, reason: string) => {
    edits.push({ op: 'set', path, value });
    reasons.push(reason);
  };

  if (spec.cpus !== undefined) {
    const have = typeof current.cpus === 'number' ? current.cpus : effective.cpus;
    if (have !== spec.cpus) set(['cpus'], spec.cpus, `cpus ${have ?? 'unset'} → ${spec.cpus}`);
  }
  if (spec.memory !== undefined) {
    const have = parseSize(current.memory as string) ?? effective.memory;
    if (have !== parseSize(spec.memory))
      set(['memory'], spec.memory, `memory ${show(have)} → ${spec.memory}`);
  }
  if (spec.disk !== undefined) {
    const have = parseSize(current.disk as string) ?? effective.disk;
    const want = parseSize(spec.disk) ?? 0;
    if (have !== undefined && have > want) {
      notes.push(
        `disk ${formatSize(have)} kept: more than the ${spec.disk} asked, and Lima never shrinks a disk`,
      );
    } else if (have !== want) set(['disk'], spec.disk, `disk ${show(have)} → ${spec.disk}`);
  }

  const mounts = list(current.mounts);
  spec.mounts.forEach((mount) => {
    const index = mounts.findIndex((m) => samePath(m.location, mount.location, home));
    const wantWritable = mount.writable ?? false;
    if (index === -1) {
      edits.push({ op: 'append', path: ['mounts'], value: compact({ ...mount, writable: wantWritable }) });
      reasons.push(`mount ${mount.location} missing`);
      return;
    }
    const have = mounts[index]!;
    if ((have.writable ?? false) !== wantWritable) {
      set(
        ['mounts', index, 'writable'],
        wantWritable,
        `mount ${mount.location} ${wantWritable ? 'read-only' : 'writable'}`,
      );
    }
    if (mount.mountPoint !== undefined && have.mountPoint !== mount.mountPoint) {
      set(['mounts', index, 'mountPoint'], mount.mountPoint, `mount ${mount.location} mountPoint`);
    }
  });

  const forwards = list(current.portForwards);
  for (const forward of spec.portForwards) {
    const wanted = compact(forward);
    if (!forwards.some((have) => Object.entries(wanted).every(([k, v]) => isDeepStrictEqual(have[k], v)))) {
      edits.push({ op: 'append', path: ['portForwards'], value: wanted });
      reasons.push(`port forward ${forward.guestSocket ?? forward.guestPort ?? ''} missing`);
    }
  }

  const env = (current.env ?? {}) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(spec.env)) {
    let value = raw;
    if (hasGuestTemplate(raw)) {
      if (!effective.guest) {
        throw new AscError(`env ${key} uses a guest template (${raw}), but the guest's user is not known`, {
          code: 'E_COMMAND_FAILED',
          hint: '`limactl list --json` should report the instance; run `asc run lima.instance`',
        });
      }
      value = expandGuestTemplate(raw, effective.guest);
    }
    if (env[key] !== value) set(['env', key], value, `env ${key}`);
  }

  const provision = list(current.provision);
  for (const step of spec.provision) {
    const known = provision.some(
      (have) =>
        (have.mode ?? 'system') === step.mode && String(have.script ?? '').trim() === step.script.trim(),
    );
    if (!known) {
      edits.push({ op: 'append', path: ['provision'], value: { mode: step.mode, script: step.script } });
      reasons.push(`provision script (${step.mode}) missing`);
    }
  }

  const ssh = (current.ssh ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(spec.ssh)) {
    if (value !== undefined && ssh[key] !== value) set(['ssh', key], value, `ssh.${key} → ${value}`);
  }
  const containerd = (current.containerd ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(spec.containerd ?? {})) {
    if (value !== undefined && containerd[key] !== value)
      set(['containerd', key], value, `containerd.${key} → ${value}`);
  }
  return { edits, reasons, notes };
}

/**
 * Lima's plain mode (pkg/limayaml/defaults.go fixUpForPlainMode) drops every mount and every port forward
 * that is not `static`: the spec's would be written and never used, so such a file never converges.
 */
function refusePlain(current: Doc, spec: Readonly<AscVmSpec>): void {
  if (current.plain !== true) return;
  const dropped = [
    ...spec.mounts.map((m) => `mount ${m.location}`),
    // The spec has no `static` forwards (Lima's only survivors): a socket or a port, each is dropped.
    ...spec.portForwards.map((f) => `port forward ${f.guestSocket ?? f.guestPort ?? ''}`),
  ];
  if (dropped.length === 0) return;
  throw new AscError(
    `lima.yaml sets plain: true, and in plain mode Lima drops every mount and port forward: ${dropped.join(', ')} would never reach the VM`,
    {
      code: 'E_REFUSED',
      hint: 'remove `plain: true` from lima.yaml (`limactl edit` or an editor; a running VM needs a restart), or drop those mounts and forwards from the config; asc does not turn plain mode off for you',
    },
  );
}

/** The file `limactl create` gets for a new instance: the base template plus every key of the spec. */
export function creationYaml(spec: Readonly<AscVmSpec>, base: string): string {
  const doc: Doc = {};
  if (spec.images.length > 0) doc.images = spec.images.map(compact);
  else doc.base = base;
  if (spec.cpus !== undefined) doc.cpus = spec.cpus;
  if (spec.memory !== undefined) doc.memory = spec.memory;
  if (spec.disk !== undefined) doc.disk = spec.disk;
  if (spec.mounts.length > 0)
    doc.mounts = spec.mounts.map((m) => compact({ ...m, writable: m.writable ?? false }));
  if (spec.portForwards.length > 0) doc.portForwards = spec.portForwards.map(compact);
  // An env value with a guest template waits for lima.config, which expands it once the instance
  // exists (before its first start): Lima itself would write the template text literally.
  const env = Object.entries(spec.env).filter(([, value]) => !hasGuestTemplate(value));
  if (env.length > 0) doc.env = Object.fromEntries(env);
  if (spec.provision.length > 0)
    doc.provision = spec.provision.map((p) => ({ mode: p.mode, script: p.script }));
  if (Object.values(spec.ssh).some((v) => v !== undefined)) doc.ssh = compact(spec.ssh);
  if (spec.containerd) doc.containerd = compact(spec.containerd);
  const header =
    '# Created by asc (ascalon) from your config. Edit freely: asc changes only the keys it manages.\n';
  return header + stringify(doc, { lineWidth: 0, indentSeq: false });
}

function samePath(a: unknown, b: string, home: string): boolean {
  const expand = (p: string) =>
    p
      .replace(/^~(?=\/|$)/, home)
      .replace(/^\{\{\s*\.Home\s*\}\}/, home)
      .replace(/\/+$/, '');
  return typeof a === 'string' && expand(a) === expand(b);
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function show(bytes: number | undefined): string {
  return bytes === undefined ? 'unset' : formatSize(bytes);
}
