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
    heal: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Register the heal agent io.ascalon.<instance>.launchd.heal: every few minutes, and once when the Mac wakes, it runs `asc run --unattended` of the tasks that re-create the VM's socket forwards (docker.works, onepassword.agent-works), so they come back after a sleep with nobody typing. Only when one of those plugins is enabled, or `targets` is set.",
          ),
        every: z
          .number()
          .int()
          .refine(
            (n) => n >= 1 && 60 % n === 0,
            'a number of minutes that divides an hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60',
          )
          .default(5)
          .describe(
            'Minutes between heal runs, on the clock (5: at :00, :05, …). A run missed while the Mac slept runs once at wake.',
          ),
        targets: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe(
            'The tasks the heal agent runs, instead of the forwards of the enabled plugins (docker.works, onepassword.agent-works); their needs are checked, never applied.',
          ),
      })
      .strict()
      .default({ enabled: true, every: 5 })
      .describe(
        "asc's heal agent: the VM's socket forwards healed after the Mac sleeps, with nobody typing.",
      ),
  })
  .strict();

export type LaunchdOptions = z.output<typeof launchdOptions>;
