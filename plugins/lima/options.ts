import { z } from 'zod';
import { durationOption } from '../../src/index.ts';
import { parseSize, SIZE_PATTERN } from './sizes.ts';

const SIZE =
  'a size like "12GiB", "512MiB" or "50G" (binary units, as Lima reads them; no space after the unit)';
const size = (what: string, fallback: string) =>
  z
    .string()
    .regex(SIZE_PATTERN, { message: SIZE, abort: true })
    .refine((text) => parseSize(text) !== undefined, SIZE)
    // go-units RAMInBytes returns an int64: a larger size overflows in Lima instead of failing.
    .refine((text) => (parseSize(text) ?? 0) < 2 ** 63, 'a size below 8192PiB (Lima counts bytes in 64 bits)')
    .default(fallback)
    .describe(`${what}, as Lima writes it (12GiB).`);

/** Lima's validatePort (pkg/limayaml/validate.go): 22 is the guest's own sshd. */
const notSsh = (n: number | undefined) => n !== 22;
const NOT_SSH = 'must not be 22: Lima refuses port 22, which is sshd’s';

/** Guest paths a mount may not cover (Lima's validate.go refuses these as a mountPoint). */
const SYSTEM_PATHS = ['/', '/bin', '/dev', '/etc', '/home', '/opt', '/sbin', '/tmp', '/usr', '/var'];

const mount = z
  .object({
    location: z
      .string()
      .min(1)
      .refine(
        (p) => p.startsWith('/') || p.startsWith('~'),
        'an absolute path or one under ~ (Lima refuses a relative mount location)',
      )
      .describe('Host folder; `~` is expanded. Written to lima.yaml as is, never to a shell.'),
    mountPoint: z
      .string()
      .startsWith('/')
      .refine(
        (p) => !SYSTEM_PATHS.includes(p),
        `not a system path (${SYSTEM_PATHS.join(' ')}): Lima refuses to mount over one`,
      )
      .optional()
      .describe('Guest path; defaults to the location.'),
    writable: z.boolean().default(false).describe('Whether the guest may write to it.'),
  })
  .strict()
  // Without mountPoint the guest path is the location itself: `/tmp` would mount over the guest's /tmp.
  .refine((m) => m.mountPoint !== undefined || !SYSTEM_PATHS.includes(m.location), {
    message: `a system path (${SYSTEM_PATHS.join(' ')}) is mounted at the same path in the guest, which Lima refuses: set mountPoint`,
    path: ['location'],
  });

const portForward = z
  .object({
    guestSocket: z.string().optional(),
    hostSocket: z.string().optional(),
    guestPort: z.number().int().min(1).max(65535).refine(notSsh, NOT_SSH).optional(),
    hostPort: z.number().int().min(0).max(65535).refine(notSsh, NOT_SSH).optional(),
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
        localPort: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .refine(notSsh, NOT_SSH)
          .optional()
          .describe('The Mac port of the VM’s sshd; 0 (Lima’s default) picks a free one.'),
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
