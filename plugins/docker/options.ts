import { z } from 'zod';

/** Options of the docker plugin; `docker: {}` uses Colima's socket, wherever Colima keeps it. */
export const dockerOptions = z
  .object({
    hostSocket: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The Docker daemon's socket on the Mac; `~` is your home. Default: the `docker_socket` that `colima status --json` reports, else ~/.colima/default/docker.sock.",
      ),
  })
  .strict();

export type DockerOptions = z.output<typeof dockerOptions>;
