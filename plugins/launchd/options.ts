import { z } from 'zod';

/** Options of the launchd plugin: how the VM is registered to start at login. */
export const launchdOptions = z
  .object({
    mode: z
      .enum(['auto', 'lima', 'plist'])
      .default('auto')
      .describe(
        "How the VM starts at login: `lima` registers Lima's own autostart (limactl autostart, Lima ≥ 0.21), `plist` writes asc's LaunchAgent io.lima.<instance>, `auto` picks lima when the installed limactl has it.",
      ),
    keepAlive: z
      .boolean()
      .default(false)
      .describe(
        'plist mode: restart `limactl start --foreground` when it exits with an error (KeepAlive { SuccessfulExit = false }); a clean `limactl stop` is not undone.',
      ),
  })
  .strict();

export type LaunchdOptions = z.output<typeof launchdOptions>;
