import { z } from 'zod';
import { durationOption } from '../../src/index.ts';
import { parseSize, SIZE_PATTERN } from './sizes.ts';

const size = (what: string, fallback: string) =>
  z
    .string()
    .regex(SIZE_PATTERN, 'a size like "12GiB", "512MiB" or "50G" (binary units, as Lima reads them)')
    // go-units RAMInBytes returns an int64: a larger size overflows in Lima instead of failing.
    .refine((text) => (parseSize(text) ?? 0) < 2 ** 63, 'a size below 8192PiB (Lima counts bytes in 64 bits)')
    .default(fallback)
    .describe(`${what}, as Lima writes it; default ${fallback}.`);

const mount = z
  .object({
    location: z
      .string()
      .min(1)
      .describe('Host folder; `~` is expanded. Written to lima.yaml as is, never to a shell.'),
    mountPoint: z.string().startsWith('/').optional().describe('Guest path; defaults to the location.'),
    writable: z.boolean().default(false).describe('Whether the guest may write to it.'),
  })
  .strict();

const portForward = z
  .object({
    guestSocket: z.string().optional(),
    hostSocket: z.string().optional(),
    guestPort: z.number().int().min(1).max(65535).optional(),
    hostPort: z.number().int().min(0).max(65535).optional(),
    guestIP: z.string().optional(),
    hostIP: z.string().optional(),
    proto: z.enum(['tcp', 'udp', 'any']).optional(),
    reverse: z
      .boolean()
      .optional()
      .describe('true: a host socket appears in the guest (needs Lima ≥ 0.17.1).'),
    ignore: z.boolean().optional(),
  })
  .strict()
  .refine((f) => !f.reverse || (f.guestSocket && f.hostSocket), {
    message: '`reverse` needs both guestSocket and hostSocket (Lima forwards only unix sockets in reverse)',
  });

/** Options of the lima plugin; the defaults are a roomy development VM (6 CPUs, 12GiB, 50GiB). */
export const limaOptions = z
  .object({
    cpus: z.number().int().min(1).max(256).default(6).describe('Virtual CPUs.'),
    memory: size('Memory', '12GiB'),
    disk: size('Disk size, which can only grow', '50GiB'),
    mounts: z.array(mount).default([]).describe('Extra host folders shared with the guest.'),
    portForwards: z
      .array(portForward)
      .default([])
      .describe('Extra port or socket forwards (Lima portForwards).'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string())
      .default({})
      .describe('Environment written to the guest /etc/environment.'),
    provision: z
      .array(
        z
          .object({
            mode: z.enum(['system', 'user', 'boot', 'dependency']).default('system'),
            script: z.string().min(1),
          })
          .strict(),
      )
      .default([])
      .describe('Provision scripts; they run at every boot and must be idempotent.'),
    ssh: z
      .object({
        forwardAgent: z.boolean().optional(),
        loadDotSSHPubKeys: z.boolean().optional(),
        localPort: z.number().int().min(0).max(65535).optional(),
      })
      .strict()
      .default({})
      .describe('SSH options of the instance.'),
    base: z
      .string()
      .min(1)
      .default('template:default')
      .describe('What a new instance is based on (Lima `base:`); used only when the instance is created.'),
    startTimeout: durationOption()
      .default('10m')
      .describe('How long `limactl start` may take (the first start downloads the image).'),
  })
  .strict();

export type LimaOptions = z.output<typeof limaOptions>;
