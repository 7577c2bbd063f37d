import { z } from 'zod';

/** Options of the onepassword plugin; `onepassword: {}` forwards the SSH agent your ssh uses. */
export const onePasswordOptions = z
  .object({
    agentSocket: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The SSH agent's socket on the Mac; `~` is your home. Default: the IdentityAgent your ssh uses for lima-<instance> (`ssh -G`), else 1Password's ~/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock.",
      ),
    serviceAccount: z
      .object({
        tokenRef: z
          .string()
          .regex(/^op:\/\/[^/]+\/[^/]+\/[^/]+/, 'a secret reference like "op://vault/item/credential"')
          .describe("Where the service account's token is in 1Password; read on the Mac with `op read`."),
      })
      .strict()
      .optional()
      .describe(
        'A 1Password service account for `op` in the VM (the desktop-app integration cannot reach a VM). Without it, asc sets up only the SSH agent.',
      ),
  })
  .strict();

export type OnePasswordOptions = z.output<typeof onePasswordOptions>;
