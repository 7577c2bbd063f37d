import { definePlugin } from '../../src/index.ts';
import { parseSize } from '../lima/api.ts';
import { nixosDoctor } from './doctor.ts';
import { nixosAbout } from './entry.ts';
import { DEFAULT_IMAGES } from './images.ts';
import { migratedTask } from './migration.ts';
import type { NixosOptions } from './options.ts';
import { systemTasks } from './system-tasks.ts';

/** nixos-lima#48: nix runs out of memory in Lima's default 4GiB. */
const MIN_MEMORY = '8GiB';

/**
 * NixOS in the VM (opt-in): the instance is moved from Ubuntu by delete and re-create, its home folder
 * archived on the Mac first and restored after; then hostname, the flake's rebuild and nixos-lima's services.
 */
export const nixosPlugin = definePlugin<NixosOptions>({
  ...nixosAbout,
  guestFacts: {
    'os-release': 'cat /etc/os-release',
    hostname: 'hostnamectl hostname',
    'current-system': 'readlink /run/current-system',
    // systemctl is-active exits 3 for an inactive unit: its output still says which.
    services: 'systemctl is-active lima-init lima-guestagent',
  },
  vm(spec, options, ctx) {
    const images = options.image === undefined ? DEFAULT_IMAGES : [options.image].flat();
    spec.images.push(...images.map((image) => ({ ...image })));
    // At least 8GiB: raise a smaller value now; the lima plugin keeps this floor if it comes later.
    const memory = parseSize(spec.memory);
    if (memory === undefined || memory < (parseSize(MIN_MEMORY) ?? 0)) spec.memory = MIN_MEMORY;
    // NixOS's DHCP client listens on 0.0.0.0:68; forwarded, it breaks the Mac's DHCP (nixos-lima#50, lima#4501).
    const dhcp = { proto: 'udp', guestPort: 68, guestIP: '0.0.0.0', ignore: true } as const;
    if (!spec.portForwards.some((f) => f.proto === 'udp' && f.guestPort === 68 && f.ignore)) {
      spec.portForwards.push({ ...dhcp });
    }
    // As nixos-lima's nixos.yaml: no containerd, so no nerdctl download either.
    spec.containerd = { ...spec.containerd, system: false, user: false };
    // template:default mounts ~ read-only; a VM made from images has only the spec's mounts.
    if (!spec.mounts.some((m) => m.location === '~' || m.location === ctx.home)) {
      spec.mounts.push({ location: '~', writable: false });
    }
  },
  tasks: (options, ctx) => [migratedTask(options, ctx.config.instance), ...systemTasks(options, ctx)],
  doctor: nixosDoctor,
  kept: (options, ctx) => [
    `the VM stays NixOS; your flake ${options.flake ?? ctx.config.dir}: asc never deletes it`,
    "the old guest home's archives in asc's state folder (nixos/): the only copy of that home, removed only by you",
  ],
});
