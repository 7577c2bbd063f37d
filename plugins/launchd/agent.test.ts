import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../src/testing.ts';
import {
  agentPlist,
  agentText,
  isCellarPath,
  isLegacyPlist,
  parseXmlPlist,
  readAgent,
  stableLimactl,
  validateAgent,
} from './agent.ts';
import { parsePrint } from './launchctl.ts';

const spec = {
  label: 'io.lima.default',
  instance: 'default',
  limactl: '/opt/homebrew/bin/limactl',
  instanceDir: '/Users/u/.lima/default',
  brewPrefix: '/opt/homebrew',
  keepAlive: false,
  limaHome: undefined,
};

describe("asc's LaunchAgent", () => {
  it('has exactly the keys launchd needs, in a fixed order, and parses back to itself', async () => {
    const plist = agentPlist(spec);
    expect(plist).toEqual({
      Label: 'io.lima.default',
      ProgramArguments: ['/opt/homebrew/bin/limactl', 'start', 'default', '--foreground'],
      RunAtLoad: true,
      EnvironmentVariables: { PATH: '/opt/homebrew/bin:/opt/homebrew/sbin:/usr/bin:/bin:/usr/sbin:/sbin' },
      StandardOutPath: '/Users/u/.lima/default/launchd.stdout.log',
      StandardErrorPath: '/Users/u/.lima/default/launchd.stderr.log',
      ProcessType: 'Background',
    });
    const text = await agentText(plist);
    expect(await parseXmlPlist(text)).toEqual(plist);
    expect(text).toBe(await agentText(agentPlist(spec)));
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist /);
    expect(text).toContain('<plist version="1.0">\n<dict>\n\t<key>Label</key>\n');
    expect(text.endsWith('</plist>\n')).toBe(true);
  });

  it('keepAlive restarts only after a failure; LIMA_HOME is passed on when asc has one', () => {
    const plist = agentPlist({ ...spec, keepAlive: true, limaHome: '/Volumes/vm/lima' });
    expect(plist.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(plist.EnvironmentVariables).toEqual({
      PATH: '/opt/homebrew/bin:/opt/homebrew/sbin:/usr/bin:/bin:/usr/sbin:/sbin',
      LIMA_HOME: '/Volumes/vm/lima',
    });
  });

  it("without Homebrew, PATH starts with limactl's own folder", () => {
    const plist = agentPlist({ ...spec, limactl: '/usr/local/lima/bin/limactl', brewPrefix: undefined });
    expect(plist.EnvironmentVariables).toEqual({ PATH: '/usr/local/lima/bin:/usr/bin:/bin:/usr/sbin:/sbin' });
  });

  it('the validator refuses what does not parse back, and runs plutil -lint on macOS only', async () => {
    const t = await createTestContext({
      exec: (argv) => (argv[0] === 'plutil' ? { stdout: 'ok' } : undefined),
    });
    const plist = agentPlist(spec);
    const file = path.join(t.host.home, 'x.plist');
    await writeFile(file, await agentText(plist));
    await validateAgent(t, plist)(file);
    expect(t.commands.map((c) => c.argv)).toEqual([['plutil', '-lint', file]]);
    await expect(validateAgent(t, { ...plist, RunAtLoad: false })(file)).rejects.toThrow(
      /does not parse back/,
    );
    const linux = await createTestContext({ hostFacts: { platform: 'linux' } });
    await validateAgent(linux, plist)(file);
    expect(linux.commands).toEqual([]);
  });
});

describe('reading what is in ~/Library/LaunchAgents', () => {
  it('a missing file, a plist, a file that is not one (without xmldom noise on stderr)', async () => {
    const t = await createTestContext();
    const file = path.join(t.host.home, 'a.plist');
    expect(await readAgent(t, file)).toEqual({ exists: false });
    await writeFile(file, await agentText(agentPlist(spec)));
    await chmod(file, 0o664);
    const good = await readAgent(t, file);
    expect(good).toMatchObject({ exists: true, mode: 0o664, plist: { Label: 'io.lima.default' } });
    await writeFile(file, '<plist><dict><key>Label</key>');
    expect(await readAgent(t, file)).toMatchObject({
      exists: true,
      plist: undefined,
      error: 'not a property list (unclosed xml tag(s): plist, dict)',
    });
    await writeFile(file, 'Label=io.lima.default\n');
    expect(await readAgent(t, file)).toMatchObject({
      plist: undefined,
      error: 'not a property list (no <plist> element)',
    });
  });

  it('recognises the hand-made legacy plist: plain `limactl start`, no --foreground', () => {
    const legacy = {
      Label: 'io.lima.default',
      ProgramArguments: ['/opt/homebrew/bin/limactl', 'start', 'default'],
    };
    expect(isLegacyPlist(legacy, 'io.lima.default', 'default')).toBe(true);
    expect(
      isLegacyPlist(
        { ...legacy, ProgramArguments: ['/usr/local/bin/limactl', 'start'] },
        'io.lima.default',
        'default',
      ),
    ).toBe(true);
    expect(isLegacyPlist(agentPlist(spec), 'io.lima.default', 'default')).toBe(false);
    expect(
      isLegacyPlist(
        { ...legacy, ProgramArguments: ['/bin/sh', '-c', 'limactl start'] },
        'io.lima.default',
        'default',
      ),
    ).toBe(false);
    expect(isLegacyPlist(legacy, 'io.lima.dev', 'dev')).toBe(false);
  });

  it('a Cellar path is versioned; the prefix link is not', () => {
    expect(isCellarPath('/opt/homebrew/Cellar/lima/2.2.0/bin/limactl')).toBe(true);
    expect(isCellarPath('/usr/local/Cellar/lima/1.0.3/bin/limactl')).toBe(true);
    expect(isCellarPath('/opt/homebrew/bin/limactl')).toBe(false);
  });
});

describe('the limactl a LaunchAgent runs', () => {
  async function homebrew() {
    const t0 = await createTestContext();
    const prefix = path.join(t0.host.home, 'homebrew');
    const cellar = path.join(prefix, 'Cellar', 'lima', '2.2.0', 'bin', 'limactl');
    await mkdir(path.dirname(cellar), { recursive: true });
    await writeFile(cellar, '#!/bin/sh\n', { mode: 0o755 });
    await mkdir(path.join(prefix, 'bin'));
    await symlink('../Cellar/lima/2.2.0/bin/limactl', path.join(prefix, 'bin', 'limactl'));
    return { home: t0.host.home, prefix, cellar };
  }

  it('is the Homebrew prefix link when it is the limactl on PATH, even when PATH names the Cellar', async () => {
    const { home, prefix, cellar } = await homebrew();
    const t = await createTestContext({
      home,
      hostFacts: { brewPrefix: prefix },
      which: { limactl: cellar },
    });
    expect(await stableLimactl(t)).toEqual({ path: path.join(prefix, 'bin', 'limactl'), onPath: cellar });
  });

  it('is the one on PATH when Homebrew has another or none', async () => {
    const { home, prefix } = await homebrew();
    const other = path.join(home, 'bin', 'limactl');
    await mkdir(path.dirname(other));
    await writeFile(other, '#!/bin/sh\n', { mode: 0o755 });
    const t = await createTestContext({ home, hostFacts: { brewPrefix: prefix }, which: { limactl: other } });
    expect((await stableLimactl(t)).path).toBe(other);
    const missing = await createTestContext({ home });
    await expect(stableLimactl(missing)).rejects.toThrow(
      'limactl not found: install it with `brew install lima`',
    );
  });
});

describe('launchctl print', () => {
  it('reads state, pid, program, arguments, path and last exit code', () => {
    const job = parsePrint(`gui/501/io.lima.default = {
\tactive count = 1
\tpath = /Users/u/Library/LaunchAgents/io.lima.default.plist
\ttype = LaunchAgent
\tstate = running

\tprogram = /opt/homebrew/bin/limactl
\targuments = {
\t\t/opt/homebrew/bin/limactl
\t\tstart
\t\tdefault
\t\t--foreground
\t}

\tdefault environment = {
\t\tPATH => /usr/bin:/bin:/usr/sbin:/sbin
\t}

\truns = 1
\tpid = 812
\tlast exit code = (never exited)
}
`);
    expect(job).toEqual({
      loaded: true,
      state: 'running',
      pid: 812,
      program: '/opt/homebrew/bin/limactl',
      arguments: ['/opt/homebrew/bin/limactl', 'start', 'default', '--foreground'],
      path: '/Users/u/Library/LaunchAgents/io.lima.default.plist',
      lastExitCode: null,
      lastExit: '(never exited)',
    });
    expect(parsePrint('\tstate = not running\n\tlast exit code = 78: EX_CONFIG\n')).toMatchObject({
      state: 'not running',
      lastExitCode: 78,
      lastExit: '78: EX_CONFIG',
    });
  });
});
