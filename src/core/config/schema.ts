import { z } from 'zod';
import type { PluginSchema } from '../builtins.ts';
import { DURATION, parseDuration } from '../duration.ts';

export { parseDuration };

/** Lima's own rule for instance names (identifiers.Validate): no spaces, quotes or shell syntax. */
export const INSTANCE_NAME = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
/** `group.name`, lower-case words joined by dots; the part before the first dot is the group. */
export const TASK_ID = /^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*$/;
export const PHASE = /^[a-z][a-z0-9-]*$/;
/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration option (`30s`, `10m`, `500ms`, `1h`), checked as the user wrote it; `parseDuration` reads it. */
export const durationOption = () =>
  z
    .string()
    .regex(DURATION, 'a duration like "30s", "10m" or "500ms"')
    .refine(
      (text) => !DURATION.test(text) || (parseDuration(text) > 0 && parseDuration(text) <= MAX_TIMER_MS),
      {
        message: 'a duration from 1ms to 596h',
      },
    );

export const userTaskSchema = z
  .object({
    id: z
      .string()
      .regex(TASK_ID, 'a task id is lower-case words joined by dots, like "cleanup.simple-template"')
      .describe(
        'Unique id; the part before the first dot is its group (a target, and its parent in the tree).',
      ),
    title: z.string().min(1).optional().describe('Shown in the tree. Defaults to the id.'),
    phase: z
      .string()
      .regex(PHASE, 'a phase is a lower-case word, like "phase4"')
      .optional()
      .describe('phase1 … phase6. Without one the task runs with `all`, by id or glob, or as a need.'),
    needs: z
      .array(z.string().min(1))
      .optional()
      .describe('Task ids or globs (`lima.running`, `docker.*`) that must be converged first.'),
    check: z
      .string()
      .min(1)
      .describe('Shell line run with `sh -c` in the config folder; exit 0 means converged.'),
    apply: z.string().min(1).describe('Shell line run with `sh -c` when the check failed.'),
    timeout: durationOption().default('10m').describe('How long check or apply may run before it is killed.'),
  })
  .strict();

export type AscUserTask = z.input<typeof userTaskSchema>;

/**
 * The whole config schema for a set of built-in plugins: it validates, and `z.toJSONSchema` of it is the
 * `schema.json` that editors use. External plugins' options are checked by their own schemas later.
 */
export function buildConfigSchema(builtins: readonly PluginSchema[]) {
  const entries: Record<string, z.ZodType> = {};
  for (const plugin of builtins) {
    const options = (plugin.options ?? z.object({}).strict()) as z.ZodType;
    entries[plugin.name] = z
      .union([z.boolean(), options])
      .optional()
      .describe(
        `${plugin.description ?? plugin.name}. \`false\` disables it; \`true\` or {} takes its defaults.`,
      );
  }
  return z
    .object({
      $schema: z.string().optional().describe('JSON Schema for editors.'),
      instance: z
        .string()
        .regex(INSTANCE_NAME, 'an instance name is letters and digits joined by ".", "_" or "-"')
        .default('default')
        .describe('The Lima instance. `lima` and `ssh lima-default` need "default".'),
      plugins: z
        .object(entries)
        .catchall(
          z
            .union([z.boolean(), z.record(z.string(), z.unknown())])
            .describe('An external plugin, named by module path or package name, with its options.'),
        )
        .default({})
        .describe('Enabled plugins: a key enables one, `false` disables it.'),
      tasks: z.array(userTaskSchema).default([]).describe('Taskfile-style tasks: shell check and apply.'),
    })
    .strict();
}

/** What a user writes in `.ascrc.yaml` or `asc.config.ts`. */
export interface AscUserConfig {
  $schema?: string;
  /** The Lima instance. @defaultValue 'default' */
  instance?: string;
  /** Enabled plugins: a key enables one, `false` disables it. */
  plugins?: Record<string, boolean | Record<string, unknown>>;
  /** Taskfile-style tasks with a shell check and apply. */
  tasks?: AscUserTask[];
}

/** The JSON Schema shipped as `schema.json`. */
export function buildJsonSchema(builtins: readonly PluginSchema[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildConfigSchema(builtins), { io: 'input', unrepresentable: 'any' });
  return { ...schema, title: 'asc configuration (.ascrc.yaml)' };
}
