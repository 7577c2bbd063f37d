/**
 * The desired VM, as every enabled plugin contributes to it through its `vm` hook. It is one plain
 * object; the lima plugin alone turns it into `lima.yaml`, so one restart serves every plugin's change.
 * Fields mirror Lima's own keys (templates/default.yaml in Lima's repository).
 */
export interface AscVmSpec {
  /** Number of virtual CPUs. */
  cpus?: number;
  /** Memory, as Lima writes it (`12GiB`). */
  memory?: string;
  /** Disk size, as Lima writes it (`50GiB`). It can only grow. */
  disk?: string;
  /** Host folders shared with the guest. */
  mounts: AscVmMount[];
  /** Port and unix-socket forwards (`reverse: true` exposes a host socket in the guest). */
  portForwards: AscVmPortForward[];
  /** Environment written to the guest's /etc/environment. */
  env: Record<string, string>;
  /** Provision scripts; they run at every boot and must be idempotent. */
  provision: AscVmProvision[];
  /** SSH options of the instance. */
  ssh: { forwardAgent?: boolean; loadDotSSHPubKeys?: boolean; localPort?: number };
  /** Images, used only when the instance is created. */
  images: AscVmImage[];
  /** containerd in the guest; both false skips the nerdctl download. */
  containerd?: { system?: boolean; user?: boolean };
}

export interface AscVmMount {
  /** Host path; `~` is expanded by Lima. */
  location: string;
  /** Guest path; defaults to the location. */
  mountPoint?: string;
  /** Default false. */
  writable?: boolean;
}

export interface AscVmPortForward {
  guestSocket?: string;
  hostSocket?: string;
  guestPort?: number;
  hostPort?: number;
  guestIP?: string;
  hostIP?: string;
  proto?: 'tcp' | 'udp' | 'any';
  reverse?: boolean;
  ignore?: boolean;
}

export interface AscVmProvision {
  mode: 'system' | 'user' | 'boot' | 'dependency';
  script: string;
}

export interface AscVmImage {
  location: string;
  arch?: 'x86_64' | 'aarch64';
  digest?: string;
}

export function createVmSpec(): AscVmSpec {
  return { mounts: [], portForwards: [], env: {}, provision: [], ssh: {}, images: [] };
}

/** A deep, frozen copy: tasks read the spec, only `vm` hooks write it. */
export function freezeVmSpec(spec: AscVmSpec): Readonly<AscVmSpec> {
  return deepFreeze(structuredClone(spec));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
