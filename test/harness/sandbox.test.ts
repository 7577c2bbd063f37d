// The sandbox's safety nets: a command run to completion is killed if it hangs; a service a test starts in
// the background (1Password's ssh-agent, Colima's daemon) is not, however long a loaded machine makes the
// test. A 60-second kill of the agent once emptied `ssh-add -l` in the VM halfway through a test.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, type Sandbox } from './sandbox.ts';

describe('the test sandbox', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await sandbox?.cleanup();
  });

  it('spawn: a background service outlives the 60 s net of exec, and ends when stopped', async () => {
    sandbox = await createSandbox();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const service = sandbox.spawn('sh', ['-c', 'echo up; exec sleep 1000']);
    await service.waitFor(/up/);
    vi.advanceTimersByTime(10 * 60_000);
    service.signal('SIGTERM');
    const { stderr } = await service.result;
    expect(stderr).toBe('');
  });

  it('exec: a command that hangs is killed after its timeoutMs, and stderr says so', async () => {
    sandbox = await createSandbox();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hung = sandbox.exec('sh', ['-c', 'exec sleep 1000'], { timeoutMs: 5_000 });
    vi.advanceTimersByTime(5_000);
    const { exitCode, stderr } = await hung;
    expect(exitCode).toBe(128);
    expect(stderr).toContain('[sandbox: sh killed after its timeoutMs of 5000 ms]');
  });
});
