import { describe, expect, it } from 'vitest';
import { type AscPluginContext, createVmSpec } from '../../src/index.ts';
import { limaPlugin } from '../lima/index.ts';
import { limaOptions } from '../lima/options.ts';
import { DEFAULT_IMAGES, describeImages, imageMismatch, imageRelease } from './images.ts';
import { nixosPlugin } from './index.ts';
import { nixosOptions } from './options.ts';
import { parseOsRelease } from './os-release.ts';

const ctx = (): AscPluginContext => ({
  config: { instance: 'default', file: '/Users/dev/sysinit/.ascrc.yaml', dir: '/Users/dev/sysinit' },
  home: '/Users/dev',
  vm: createVmSpec(),
});
const on = nixosOptions.parse({ enabled: true });

describe('the nixos options', () => {
  it('are off without enabled: true; `enabled: false` is not a way to turn it off', () => {
    expect(nixosOptions.parse({})).toMatchObject({ host: 'ascalon', startTimeout: '15m' });
    expect(nixosOptions.parse({}).enabled).toBeUndefined();
    expect(nixosOptions.safeParse({ enabled: false }).error?.issues[0]?.message).toBe(
      '`false` does not turn the plugin off: remove the `nixos:` key (or write `nixos: false`) to keep it off',
    );
    expect(nixosOptions.safeParse({ enabled: 'yes' }).error?.issues[0]?.message).toBe(
      'only `true`, which turns the plugin on',
    );
    expect(nixosOptions.safeParse({ enabled: true, host: 'Ascalon_1' }).success).toBe(false);
    expect(nixosOptions.safeParse({ enabled: true, flake: 'relative/path' }).success).toBe(false);
    expect(
      nixosOptions.safeParse({ enabled: true, image: { location: 'x.qcow2', digest: 'md5:1' } }).success,
    ).toBe(false);
  });

  it('is opt-in: the core turns it on only with enabled: true (the e2e test shows the refusal)', () => {
    expect(nixosPlugin.optIn).toBe(true);
    expect(nixosOptions.parse({ enabled: true }).enabled).toBe(true);
    expect(nixosOptions.safeParse({ enabled: false }).success).toBe(false);
  });
});

describe('the nixos vm hook', () => {
  it('adds the nixos-lima images, the UDP/68 ignore rule, no containerd, and the ~ mount', () => {
    const spec = createVmSpec();
    nixosPlugin.vm?.(spec, on, ctx());
    nixosPlugin.vm?.(spec, on, ctx()); // a second call adds no second rule or mount
    expect(spec.images.slice(0, 2)).toEqual(DEFAULT_IMAGES);
    expect(spec.portForwards).toEqual([{ proto: 'udp', guestPort: 68, guestIP: '0.0.0.0', ignore: true }]);
    expect(spec.containerd).toEqual({ system: false, user: false });
    expect(spec.mounts).toEqual([{ location: '~', writable: false }]);
  });

  it('a given image replaces the default ones', () => {
    const spec = createVmSpec();
    const image = {
      location: 'https://example.com/nixos-lima-v0.2.1-aarch64.qcow2',
      arch: 'aarch64' as const,
    };
    nixosPlugin.vm?.(spec, nixosOptions.parse({ enabled: true, image }), ctx());
    expect(spec.images).toEqual([image]);
  });

  it.each([
    ['lima first', ['lima', 'nixos']],
    ['nixos first', ['nixos', 'lima']],
  ])('memory is at least 8GiB whatever the order of the plugins (%s)', (_, order) => {
    for (const [memory, want] of [
      ['4GiB', '8GiB'],
      ['12GiB', '12GiB'],
    ] as const) {
      const spec = createVmSpec();
      const lima = limaOptions.parse({ memory });
      for (const name of order) {
        if (name === 'lima') limaPlugin.vm?.(spec, lima, ctx());
        else nixosPlugin.vm?.(spec, on, ctx());
      }
      expect(spec.memory).toBe(want);
    }
  });
});

describe('nixos-lima images and Lima versions', () => {
  it('reads the release from the file name', () => {
    expect(imageRelease(DEFAULT_IMAGES[0]?.location ?? '')).toBe('0.2.1');
    expect(imageRelease('https://x/nixos-lima-v0.1-x86_64.qcow2')).toBe('0.1.0');
    expect(imageRelease('https://x/my-own.qcow2')).toBeUndefined();
    expect(describeImages(DEFAULT_IMAGES)).toBe('nixos-lima v0.2.1');
  });

  it.each([
    ['0.0.4', '2.0.3', undefined],
    [
      '0.0.4',
      '2.1.0',
      /Lima 2\.1 waits for the instance ID in \/run\/lima-boot-done.*use nixos-lima v0\.0\.5/,
    ],
    ['0.0.5', '2.1.2', undefined],
    ['0.0.5', '2.1.3', /--socket-owner.*use nixos-lima v0\.2\.1/],
    ['0.2.1', '2.2.0', undefined],
  ])('nixos-lima v%s on Lima %s', (release, lima, problem) => {
    const images = [{ location: `https://x/nixos-lima-v${release}-aarch64.qcow2` }];
    const found = imageMismatch(images, lima);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  it('the default image fits every Lima asc creates with', () => {
    for (const lima of ['2.0.0', '2.1.0', '2.1.3', '2.2.0', '2.3.0'])
      expect(imageMismatch(DEFAULT_IMAGES, lima)).toBe(undefined);
  });
});

describe('os-release', () => {
  it('reads quoted and bare values', () => {
    const release = parseOsRelease(
      'NAME=NixOS\nPRETTY_NAME="NixOS 26.05 (\\"Y\\")"\nID=nixos\n# comment\nID_LIKE=""\n',
    );
    expect(release).toEqual({ NAME: 'NixOS', PRETTY_NAME: 'NixOS 26.05 ("Y")', ID: 'nixos', ID_LIKE: '' });
  });
});
