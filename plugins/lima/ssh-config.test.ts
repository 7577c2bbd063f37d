import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AscFiles } from '../../src/index.ts';
import { createTestContext } from '../../src/testing.ts';
import { parseLimaVersion } from './limactl.ts';
import { addInclude, hasInclude, includeLine, removeInclude, sshConfigOwner } from './ssh-config.ts';

const TARGET = '/Users/u/.lima/default/ssh.config';

describe('the Include line', () => {
  it('goes before the first Host block, once, and nothing else moves', () => {
    const text =
      '# my config\nServerAliveInterval 30\n\nHost github.com\n  User git\n\nHost *\n  AddKeysToAgent yes\n';
    const added = addInclude(text, TARGET, 'default');
    expect(added).toBe(
      '# my config\nServerAliveInterval 30\n\n' +
        '# Lima instance "default": lets `ssh lima-default` and WezTerm find the VM (added by asc).\n' +
        `Include ${TARGET}\n\nHost github.com\n  User git\n\nHost *\n  AddKeysToAgent yes\n`,
    );
    expect(hasInclude(added, TARGET)).toBe(true);
  });

  it('counts only an Include before the first Host or Match, with this absolute path', () => {
    expect(hasInclude(`Host x\n  Include ${TARGET}\n`, TARGET)).toBe(false);
    expect(hasInclude(`Match all\nInclude ${TARGET}\n`, TARGET)).toBe(false);
    expect(hasInclude('Include ~/.lima/*/ssh.config\n', TARGET)).toBe(false);
    expect(hasInclude(`include=${TARGET}\n`, TARGET)).toBe(true);
    // OpenSSH reads several paths on one line; WezTerm reads one, so that line does not count.
    expect(hasInclude(`Include /etc/other "${TARGET}"\nHost x\n`, TARGET)).toBe(false);
  });

  it('appends to a file without Host blocks and creates an empty one', () => {
    expect(addInclude('', TARGET, 'default')).toMatch(new RegExp(`^# Lima.*\\nInclude ${TARGET}\\n$`));
    expect(addInclude('Compression yes', TARGET, 'default')).toMatch(/^Compression yes\n\n# Lima/);
  });

  it('quotes a path with spaces', () => {
    expect(includeLine('/Users/a b/.lima/default/ssh.config')).toBe(
      'Include "/Users/a b/.lima/default/ssh.config"',
    );
    expect(hasInclude('Include "/Users/a b/x"\n', '/Users/a b/x')).toBe(true);
  });
});

describe('who owns ~/.ssh/config', () => {
  let dir: string;
  let files: AscFiles;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'asc-ssh-'));
    ({ files } = await createTestContext({ home: dir }));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a link into the Nix store is home-manager’s: the fix is programs.ssh.includes', async () => {
    const store = path.join(dir, 'nix', 'store');
    await mkdir(path.join(store, 'abc-home-manager-files'), { recursive: true });
    const real = path.join(store, 'abc-home-manager-files', 'ssh_config');
    await writeFile(real, 'Host *\n');
    await symlink(real, path.join(dir, 'config'));
    const owner = await sshConfigOwner(files, path.join(dir, 'config'), TARGET, { NIX_STORE_DIR: store });
    expect(owner).toEqual({
      writable: false,
      why: expect.stringMatching(/is a link into the Nix store .*: home-manager manages it/),
      fix: `add to your home-manager config, then switch:\n  programs.ssh.includes = [ "${TARGET}" ];`,
    });
  });

  it('a read-only file is not asc’s, even for root; a stow link elsewhere is', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, '');
    await chmod(file, 0o444);
    expect(await sshConfigOwner(files, file, TARGET, {})).toMatchObject({
      writable: false,
      why: expect.stringMatching(/read-only \(mode 444\)/),
    });
    await chmod(file, 0o600);
    const link = path.join(dir, 'linked');
    await symlink(file, link);
    expect(
      await sshConfigOwner(files, link, TARGET, { NIX_STORE_DIR: path.join(dir, 'nix', 'store') }),
    ).toEqual({
      writable: true,
    });
    expect(await sshConfigOwner(files, path.join(dir, 'absent'), TARGET, {})).toEqual({ writable: true });
  });
});

describe('parseLimaVersion', () => {
  it('reads every form limactl prints', () => {
    expect(parseLimaVersion('limactl version 2.2.0')).toBe('2.2.0');
    expect(parseLimaVersion('limactl version v1.0.3\n')).toBe('1.0.3');
    expect(parseLimaVersion('limactl version 2.3.0-beta.0')).toBe('2.3.0-beta.0');
    expect(parseLimaVersion('limactl version 0.17.1-12-gabcdef')).toBe('0.17.1-12-gabcdef');
    expect(parseLimaVersion('limactl version HEAD-abc')).toBeUndefined();
  });
});

describe('taking the Include out again', () => {
  it.each([
    ['before the first Host block', '# my config\nServerAliveInterval 30\n\nHost github.com\n  User git\n'],
    ['appended to a file without Host blocks', 'Compression yes\n'],
    ['appended to a file without a final newline', 'Compression yes'],
    ['with CRLF line ends', 'Compression yes\r\n\r\nHost x\r\n  User y\r\n'],
    ['into an empty file', ''],
  ])('%s: the text is back byte for byte', (_name, text) => {
    const added = addInclude(text, TARGET, 'default');
    const removed = removeInclude(added, TARGET, 'default');
    // A file that had no final newline gets one: the only byte the structural removal cannot know.
    expect(removed).toBe(text === 'Compression yes' ? 'Compression yes\n' : text);
  });

  it('leaves a file without asc’s block alone, and keeps the user’s own Include lines', () => {
    expect(removeInclude(`Include ${TARGET}\nHost x\n`, TARGET, 'default')).toBeUndefined();
  });
});
