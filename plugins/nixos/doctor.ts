import type { AscDoctorCheck, AscPluginContext } from '../../src/index.ts';
import { limaVersion } from '../lima/api.ts';
import { evalFlake, flakeFolder, flakeProblems } from './flake.ts';
import { describeImages, imageMismatch } from './images.ts';
import type { NixosOptions } from './options.ts';
import { parseOsRelease } from './os-release.ts';
import { unitStates } from './system-tasks.ts';

/** Rows for `asc doctor`: the image fits Lima, the guest's services and hostname, the flake's requirements. */
export function nixosDoctor(options: NixosOptions, ctx: AscPluginContext): AscDoctorCheck[] {
  const instance = ctx.config.instance;
  const shell = `limactl shell ${instance} --`;
  /** Guest facts, or why they cannot be read (the VM is stopped, or not NixOS yet). */
  const nixosFacts = async (t: Parameters<AscDoctorCheck['run']>[0]) => {
    try {
      const facts = await t.guest.facts();
      if (parseOsRelease(facts['nixos.os-release']).ID !== 'nixos') {
        return { why: `${instance} does not run NixOS yet`, fix: 'asc run nixos.migrated --yes' };
      }
      return { facts };
    } catch {
      return { why: `${instance} does not answer`, fix: `limactl start ${instance}` };
    }
  };
  return [
    {
      id: 'image',
      title: 'nixos-lima image fits the installed Lima',
      async run(t) {
        const version = await limaVersion(t);
        const mismatch = imageMismatch(t.vm.images, version);
        if (mismatch)
          return { status: 'fail', message: mismatch, fix: 'remove plugins.nixos.image (the default fits)' };
        return { status: 'ok', message: `${describeImages(t.vm.images)} on Lima ${version}` };
      },
    },
    {
      id: 'services',
      title: 'lima-init and lima-guestagent',
      async run(t) {
        const read = await nixosFacts(t);
        if (!read.facts) return { status: 'warn', message: read.why, fix: read.fix };
        const states = unitStates(read.facts['nixos.services']);
        const down = Object.entries(states).filter(([, state]) => state !== 'active');
        if (down.length === 0) return { status: 'ok', message: 'lima-init and lima-guestagent are active' };
        return {
          status: 'fail',
          message: down.map(([unit, state]) => `${unit} is ${state}`).join(', '),
          fix: `${shell} sudo systemctl restart ${down.map(([unit]) => unit).join(' ')}; see \`${shell} journalctl -b -u ${down[0]?.[0]}\``,
        };
      },
    },
    {
      id: 'hostname',
      title: `hostname ${options.host}`,
      async run(t) {
        const read = await nixosFacts(t);
        if (!read.facts) return { status: 'warn', message: read.why, fix: read.fix };
        const name = read.facts['nixos.hostname'];
        if (name === options.host) return { status: 'ok', message: `the hostname is ${name}` };
        return {
          status: 'warn',
          message: `the hostname is ${name || 'unknown'}`,
          fix: 'asc run nixos.hostname',
        };
      },
    },
    {
      id: 'flake',
      title: `the flake's nixosConfigurations.${options.host}`,
      async run(t) {
        const read = await nixosFacts(t);
        if (!read.facts) return { status: 'warn', message: read.why, fix: read.fix };
        try {
          const flake = flakeFolder(options, ctx);
          const problems = flakeProblems(await evalFlake(t, flake, options.host), options.host);
          if (problems.length === 0) {
            return {
              status: 'ok',
              message: `${flake}#${options.host} keeps lima-init, mutable users and the hostname`,
            };
          }
          return {
            status: 'fail',
            message: `${flake}#${options.host} lacks ${problems.join(' ')}: booting it would lock you out`,
            fix: `set in nixosConfigurations.${options.host}: ${problems.map((p) => p.replace(/ \(.*\)$/, '')).join(' ')}`,
          };
        } catch (error) {
          const e = error as Error & { hint?: string };
          return { status: 'fail', message: e.message, fix: e.hint ?? 'see docs/plugins/nixos.md' };
        }
      },
    },
  ];
}
