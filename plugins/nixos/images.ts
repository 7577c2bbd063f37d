import semver from 'semver';
import type { AscVmImage } from '../../src/index.ts';

/** The release the default images come from. */
export const DEFAULT_RELEASE = '0.2.1';

/**
 * nixos-lima v0.2.1 (NixOS 26.05), as its `nixos.yaml` lists it (nixos-lima/nixos-lima, commit 5b27861
 * "nixos.yaml: update to v0.2.1 URLs and sha512 hashes"). Lima takes the first image for the VM's arch.
 */
export const DEFAULT_IMAGES: readonly AscVmImage[] = [
  {
    location:
      'https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/nixos-lima-v0.2.1-aarch64.qcow2',
    arch: 'aarch64',
    digest:
      'sha512:748c723b69dbdec40a9acaf78cc9070ae784dcb64b0856ab906efdac822d9abcc65565b8f8dfa4cf8b49cc6c12c372072e83bb5ed9247330a7c22675d9e141ce',
  },
  {
    location:
      'https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/nixos-lima-v0.2.1-x86_64.qcow2',
    arch: 'x86_64',
    digest:
      'sha512:636c9c24d7aea340c808e72802cd05589d18c1bbeda45242e3c4725cdfdcc497cfdfd4dfecd76e4be7b8de3a688a1046f269c072bce487c0b06a60515262995e',
  },
];

/**
 * The oldest nixos-lima release each Lima needs. v0.2.1 meets both, and still boots on Lima 2.0: its
 * lima-init falls back to meta-data when Lima passes no instance ID, and its guest agent passes
 * --socket-owner only when Lima's agent knows the flag (lima-init.nix).
 */
const NEEDS = [
  {
    lima: '2.1.3',
    release: '0.2.1',
    why: 'Lima 2.1.3 runs the guest agent with --socket-owner (GHSA-2j9v-p4xj-cjw2), which nixos-lima passes from v0.2.1 (nixos-lima PR #101)',
  },
  {
    lima: '2.1.0',
    release: '0.0.5',
    why: 'Lima 2.1 waits for the instance ID in /run/lima-boot-done, which nixos-lima writes from v0.0.5 (nixos-lima PR #52)',
  },
];

/** The nixos-lima release in an image's file name (`nixos-lima-v0.2.1-aarch64.qcow2` → 0.2.1), if any. */
export function imageRelease(location: string): string | undefined {
  const match = /nixos-lima-v(\d+(?:\.\d+){0,2})-[a-z0-9_]+\.qcow2$/.exec(location);
  return match?.[1] ? (semver.coerce(match[1])?.version ?? undefined) : undefined;
}

/** Why these images cannot boot on this Lima, or undefined when they can (or their release is unknown). */
export function imageMismatch(images: readonly AscVmImage[], limaVersion: string): string | undefined {
  for (const image of images) {
    const release = imageRelease(image.location);
    if (!release) continue;
    const need = NEEDS.find((n) => semver.gte(limaVersion, n.lima) && semver.lt(release, n.release));
    if (need) {
      return `nixos-lima v${release} does not fit Lima ${limaVersion}: ${need.why}; use nixos-lima v${need.release} or newer`;
    }
  }
  return undefined;
}

/** `nixos-lima v0.2.1`, or the image's file name for an image of another origin. */
export function describeImages(images: readonly AscVmImage[]): string {
  const first = images[0]?.location ?? '';
  const release = imageRelease(first);
  return release ? `nixos-lima v${release}` : first.slice(first.lastIndexOf('/') + 1) || first;
}

/** True for an image this plugin put into the spec, or any nixos-lima release. */
export function isNixosImage(location: string, ours: readonly AscVmImage[]): boolean {
  return ours.some((image) => image.location === location) || imageRelease(location) !== undefined;
}
