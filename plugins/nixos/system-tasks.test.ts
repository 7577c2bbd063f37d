import { describe, expect, it } from 'vitest';
import { type AscPluginContext, createVmSpec } from '../../src/index.ts';
import { createTestContext, type FakeCommands } from '../../src/testing.ts';
import { nixosDoctor } from './doctor.ts';
import { flakeFolder, flakeProblems } from './flake.ts';
import { DEFAULT_IMAGES } from './images.ts';
import { nixosOptions } from './options.ts';
import { systemTasks } from './system-tasks.ts';

const NIXOS = 'ID=nixos\nPRETTY_NAME="NixOS 26.05"\n';
const options = nixosOptions.parse({ enabled: true, flake: '/Users/dev/sysinit' });

function pluginCtx(mounts: { location: string; mountPoint?: string }[] = []): AscPluginContext {
  const vm = createVmSpec();
  vm.mounts.push(...mounts);
  vm.images.push(...DEFAULT_IMAGES);
  return {
    config: { instance: 'default', file: '/Users/dev/sysinit/.ascrc.yaml', dir: '/Users/dev/sysinit' },
    home: '/Users/dev',
    vm,
  };
}

const flake = (over: Partial<{ lima: boolean; mutableUsers: boolean; hostName: string }> = {}) =>
  JSON.stringify({
    toplevel: '/nix/store/abc-nixos-system-ascalon-26.05',
    hostName: 'ascalon',
    lima: true,
    mutableUsers: true,
    ...over,
  });

describe('the flake', () => {
  it('defaults to the config folder as the VM sees it through a lima mount', () => {
    const none = nixosOptions.parse({ enabled: true });
    expect(flakeFolder(none, pluginCtx([{ location: '~' }]))).toBe('/Users/dev/sysinit');
    expect(flakeFolder(none, pluginCtx([{ location: '~/sysinit', mountPoint: '/mnt/sysinit' }]))).toBe(
      '/mnt/sysinit',
    );
    expect(() => flakeFolder(none, pluginCtx([{ location: '~/other' }]))).toThrow(
      /the flake folder \/Users\/dev\/sysinit \(the config file's\) is not shared with the VM/,
    );
    expect(flakeFolder(options, pluginCtx())).toBe('/Users/dev/sysinit');
  });

  it('must keep lima-init and mutable users, or booting it locks the user out', () => {
    const system = { toplevel: '/nix/store/x', hostName: 'nixos', lima: false, mutableUsers: false };
    expect(flakeProblems(system)).toEqual([
      'services.lima.enable = true; (import nixos-lima.nixosModules.lima)',
      'users.mutableUsers = true;',
    ]);
    // Another hostName locks nobody out: the rebuild applies it, and nixos.hostname names the option.
    expect(flakeProblems({ ...system, lima: true, mutableUsers: true })).toEqual([]);
  });
});

describe('nixos.hostname', () => {
  const task = (id: string) => systemTasks(options, pluginCtx()).find((x) => x.id === id)!;

  it('comes after the rebuild, and is checked, never set with hostnamectl', async () => {
    expect(task('hostname').needs).toContain('nixos.rebuild');
    expect(task('rebuild').needs).not.toContain('nixos.hostname');
    const t = await createTestContext({ guestFacts: { 'nixos.hostname': 'ascalon' } });
    expect(await task('hostname').check(t)).toEqual({ converged: true });
    expect(t.guestCommands).toEqual([]);
  });

  it('another name set by the flake fails its check naming the option (plan and status too), running nothing but nix eval', async () => {
    const guest: FakeCommands = (argv) =>
      argv[0] === 'nix' ? { stdout: flake({ hostName: 'nixos' }) } : undefined;
    const t = await createTestContext({ guest, guestFacts: { 'nixos.hostname': 'nixos' } });
    const error = await task('hostname')
      .check(t)
      .catch((e: unknown) => e as Error & { hint?: string });
    expect(error).toMatchObject({
      message:
        'the hostname is nixos, not ascalon: /Users/dev/sysinit#ascalon sets networking.hostName = "nixos"',
      hint: expect.stringContaining(
        'on NixOS the hostname comes from the flake, not from hostnamectl: set networking.hostName = "ascalon"; in nixosConfigurations.ascalon, then `asc run nixos.rebuild`',
      ),
    });
    expect(t.guestCommands.map((c) => c.argv[0])).toEqual(['nix']);
  });

  it('the flake sets it but the VM has not booted that system: drift, and apply says how to boot it', async () => {
    const guest: FakeCommands = (argv) => (argv[0] === 'nix' ? { stdout: flake() } : undefined);
    const t = await createTestContext({ guest, guestFacts: { 'nixos.hostname': 'nixos' } });
    expect(await task('hostname').check(t)).toEqual({
      converged: false,
      reason: 'hostname is nixos, want ascalon: the flake sets it, but the VM has not booted that system',
    });
    await expect(task('hostname').apply(t)).rejects.toThrow(
      'the hostname is nixos, not ascalon, though /Users/dev/sysinit#ascalon sets networking.hostName = "ascalon"',
    );
    expect(t.guestCommands.filter((c) => c.mutating)).toEqual([]);
  });
});

describe('nixos.rebuild', () => {
  it('refuses a flake that would lock the user out, before any rebuild or restart', async () => {
    const guest: FakeCommands = (argv) =>
      argv[0] === 'nix' ? { stdout: flake({ lima: false }) } : undefined;
    const t = await createTestContext({
      guest,
      confirm: true,
      guestFacts: { 'nixos.current-system': '/nix/store/old' },
    });
    const rebuild = systemTasks(options, pluginCtx()).find((x) => x.id === 'rebuild')!;
    const checked = await rebuild.check(t);
    expect(checked).toMatchObject({ converged: false });
    expect((checked as { reason: string }).reason).toMatch(
      /but the flake lacks services\.lima\.enable = true;/,
    );
    await expect(rebuild.apply(t)).rejects.toThrow(
      /will not rebuild from \/Users\/dev\/sysinit#ascalon: booting it would lock you out/,
    );
    expect(t.guestCommands.filter((c) => c.mutating)).toEqual([]);
    expect(t.commands.filter((c) => c.mutating)).toEqual([]);
  });

  it('is ok when /run/current-system is what the flake builds', async () => {
    const guest: FakeCommands = (argv) => (argv[0] === 'nix' ? { stdout: flake() } : undefined);
    const t = await createTestContext({
      guest,
      guestFacts: { 'nixos.current-system': '/nix/store/abc-nixos-system-ascalon-26.05' },
    });
    expect(await systemTasks(options, pluginCtx())[0]!.check(t)).toEqual({
      converged: true,
      reason: 'running /nix/store/abc-nixos-system-ascalon-26.05',
    });
  });
});

describe('asc doctor rows', () => {
  const rows = async (facts: Record<string, string>, guest: FakeCommands = () => undefined) => {
    const ctx = pluginCtx();
    const t = await createTestContext({
      vm: ctx.vm as ReturnType<typeof createVmSpec>,
      guestFacts: facts,
      guest,
      exec: ([file]) => (file === 'limactl' ? { stdout: 'limactl version 2.2.0' } : undefined),
      dryRun: true,
    });
    const out: Record<string, unknown> = {};
    for (const check of nixosDoctor(options, ctx)) out[check.id] = await check.run(t);
    return out;
  };

  it('all ok on a converged NixOS guest', async () => {
    const found = await rows(
      { 'nixos.os-release': NIXOS, 'nixos.hostname': 'ascalon', 'nixos.services': 'active\nactive' },
      (argv) => (argv[0] === 'nix' ? { stdout: flake() } : undefined),
    );
    expect(Object.values(found).map((row) => (row as { status: string }).status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
  });

  it('a failed guest agent, another hostname and a flake without lima-init, each with its fix', async () => {
    const found = await rows(
      { 'nixos.os-release': NIXOS, 'nixos.hostname': 'nixos', 'nixos.services': 'active\nfailed' },
      (argv) => (argv[0] === 'nix' ? { stdout: flake({ lima: false }) } : undefined),
    );
    expect(found.services).toEqual({
      status: 'fail',
      message: 'lima-guestagent is failed',
      fix: 'limactl shell default -- sudo systemctl restart lima-guestagent; see `limactl shell default -- journalctl -b -u lima-guestagent`',
    });
    expect(found.hostname).toEqual({
      status: 'warn',
      message: 'the hostname is nixos',
      fix: expect.stringContaining('set networking.hostName = "ascalon"; in nixosConfigurations.ascalon'),
    });
    expect(found.flake).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('services.lima.enable = true;'),
    });
  });

  it('on a guest that is not NixOS yet, the guest rows say so', async () => {
    const found = await rows({ 'nixos.os-release': 'ID=ubuntu\n' });
    expect(found.services).toEqual({
      status: 'warn',
      message: 'default does not run NixOS yet',
      fix: 'asc run nixos.migrated --yes',
    });
  });
});
