import { definePlugin } from '../../src/index.ts';
import { limaDoctor } from './doctor.ts';
import { limaAbout } from './entry.ts';
import { INSTALL_HINT, LIMACTL } from './limactl.ts';
import type { LimaOptions } from './options.ts';
import { largerSize } from './sizes.ts';
import { limaTasks } from './tasks.ts';
import { limaUninstall } from './uninstall.ts';

/**
 * The VM itself: the Lima instance exists with the configured resources and mounts, runs, and answers
 * to `lima`, `limactl shell` and `ssh lima-<instance>`. It alone turns the merged VM spec into lima.yaml.
 */
export const limaPlugin = definePlugin<LimaOptions>({
  ...limaAbout,
  tools: { [LIMACTL]: { install: INSTALL_HINT }, ssh: { macOS: '/usr/bin/ssh' } },
  guestFacts: {
    // The guest home is /home/<user>.linux or .guest depending on the Lima version: ask, never assume.
    home: 'printf %s "$HOME"',
    user: 'id -un',
    // For `asc doctor`: a VM's clock falls behind while the Mac sleeps.
    clock: 'date +%s',
  },
  vm(spec, options) {
    spec.cpus = options.cpus;
    // A plugin before lima may have asked for more (the nixos plugin's 8GiB floor): keep the larger.
    spec.memory = largerSize(spec.memory, options.memory);
    spec.disk = options.disk;
    spec.mounts.push(...options.mounts);
    spec.portForwards.push(...options.portForwards);
    Object.assign(spec.env, options.env);
    spec.provision.push(...options.provision);
    Object.assign(spec.ssh, options.ssh);
  },
  tasks: (options, ctx) => limaTasks(options, ctx.config.instance),
  doctor: (_options, ctx) => limaDoctor(ctx.config.instance),
  uninstall: (options, ctx) => limaUninstall(options, ctx.config.instance),
  kept: (_options, { config: { instance } }) => [
    `the VM ${instance}, its disk and the guest home: \`limactl stop ${instance} && limactl delete ${instance}\` removes them`,
  ],
});
