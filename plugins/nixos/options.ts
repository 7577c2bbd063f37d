import { z } from 'zod';
import { durationOption } from '../../src/index.ts';

/** A hostname that is also a Nix attribute name without quotes: `nixosConfigurations.<host>`. */
const HOST = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

const image = z
  .object({
    location: z.string().min(1).describe('URL (or host path) of a nixos-lima qcow2 image.'),
    digest: z
      .string()
      .regex(/^(sha256|sha512):[0-9a-f]+$/, 'a digest like "sha512:<hex>"')
      .optional()
      .describe('Its digest, as Lima checks it after the download (`sha512:<hex>`).'),
    arch: z
      .enum(['aarch64', 'x86_64'])
      .optional()
      .describe('The architecture it is for; without it, the VM’s own.'),
  })
  .strict();

/** Options of the nixos plugin. Off unless `enabled: true`: it deletes and re-creates the VM. */
export const nixosOptions = z
  .object({
    enabled: z
      .literal(true, {
        error: (issue) =>
          issue.input === false
            ? '`false` does not turn the plugin off: remove the `nixos:` key (or write `nixos: false`) to keep it off'
            : 'only `true`, which turns the plugin on',
      })
      .optional()
      .describe(
        'Required: `true` turns the plugin on. Moving the VM to NixOS deletes and re-creates it (its home folder is kept), so the key alone (`nixos: {}`) is refused.',
      ),
    host: z
      .string()
      .regex(HOST, 'a hostname: lower-case letters, digits and "-", starting with a letter')
      .default('ascalon')
      .describe('The flake output (`nixosConfigurations.<host>`) and the VM’s hostname.'),
    flake: z
      .string()
      .startsWith('/', 'a guest path: absolute, as the VM sees it')
      .optional()
      .describe(
        'Guest path of the flake folder. Default: the folder of the config file, which must be shared with the VM (a lima mount).',
      ),
    image: z
      .union([image, z.array(image).min(1)])
      .optional()
      .describe(
        'The nixos-lima image(s) the new VM is made from. Default: nixos-lima v0.2.1 (aarch64 and x86_64), which boots on every Lima from 2.0 on.',
      ),
    startTimeout: durationOption()
      .default('15m')
      .describe('How long a start of the VM may take (the first start downloads the image).'),
  })
  .strict();

export type NixosOptions = z.output<typeof nixosOptions>;
