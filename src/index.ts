/** The public API for `asc.config.ts` and for plugins. */

export type { AscUserConfig, AscUserTask } from './core/config/schema.ts';
export { durationOption } from './core/config/schema.ts';
export { displayPath } from './core/context/files.ts';
export { defineConfig, definePlugin, drift, ok, skip } from './core/define.ts';
export { parseDuration } from './core/duration.ts';
export type { AscErrorCode } from './core/errors.ts';
export { AscError, ExitCode } from './core/errors.ts';
export { withTempFile } from './core/files/temp.ts';
export { editYaml, type YamlEdit, YamlEditError, type YamlPath } from './core/files/yaml-edit.ts';
export { fileStamp } from './core/state.ts';
export { ALL_EXIT_CODES, firstLine, lastLine, tail } from './core/text.ts';
export type {
  AscCheckResult,
  AscConverged,
  AscDoctorCheck,
  AscDoctorFinding,
  AscDoctorStatus,
  AscDrift,
  AscExec,
  AscExecOptions,
  AscExecResult,
  AscFiles,
  AscGuest,
  AscHandler,
  AscHost,
  AscHostFacts,
  AscLog,
  AscNotApplicable,
  AscPlugin,
  AscPluginContext,
  AscResolvedConfig,
  AscState,
  AscTask,
  AscTaskContext,
  AscTaskResult,
  AscTaskStatus,
  AscWriteOptions,
  AscWriteResult,
} from './core/types.ts';
export type { AscVmImage, AscVmMount, AscVmPortForward, AscVmProvision, AscVmSpec } from './core/vm-spec.ts';
export { createVmSpec } from './core/vm-spec.ts';
