/** The public API for `asc.config.ts` and for plugins. */

export { describeSchedule, everyMinutes } from './core/agents.ts';
export {
  formatAge,
  formatBytes,
  type GuestArchive,
  isPrivateFolder,
  listArchives,
  partialArchives,
  privateFolder,
  removeArchives,
  sweepPartialArchives,
} from './core/archive/folder.ts';
export {
  type ArchiveMade,
  type ArchiveRequest,
  archiveGuestFolder,
  countArchiveEntries,
  countGuestEntries,
  restoreIntoGuest,
} from './core/archive/guest-archive.ts';
export type { AscUserConfig, AscUserTask } from './core/config/schema.ts';
export { durationOption } from './core/config/schema.ts';
export { displayPath, expandHome } from './core/context/files.ts';
export { cannotFix, defineConfig, definePlugin, drift, ok, skip } from './core/define.ts';
export { parseDuration } from './core/duration.ts';
export type { AscErrorCode } from './core/errors.ts';
export { AscError, ExitCode } from './core/errors.ts';
export { withTempFile } from './core/files/temp.ts';
export { editYaml, type YamlEdit, YamlEditError, type YamlPath } from './core/files/yaml-edit.ts';
export { checkSocketPath, SUN_PATH_BYTES } from './core/socket-path.ts';
export { fileStamp } from './core/state.ts';
export { ALL_EXIT_CODES, firstLine, lastLine, tail } from './core/text.ts';
export type {
  AscAgent,
  AscAgentSpec,
  AscBackupArchive,
  AscBackups,
  AscBuiltinPlugin,
  AscCalendarInterval,
  AscCannotFix,
  AscCheckResult,
  AscConverged,
  AscDoctorCheck,
  AscDoctorFinding,
  AscDoctorStatus,
  AscDrift,
  AscExec,
  AscExecOptions,
  AscExecResult,
  AscFileInfo,
  AscFiles,
  AscGuest,
  AscHandler,
  AscHost,
  AscHostFacts,
  AscLog,
  AscNotApplicable,
  AscPlugin,
  AscPluginContext,
  AscProgram,
  AscRemoveOptions,
  AscResolvedConfig,
  AscState,
  AscTask,
  AscTaskContext,
  AscTaskResult,
  AscTaskStatus,
  AscToolHint,
  AscWriteOptions,
  AscWriteResult,
} from './core/types.ts';
export type { AscVmImage, AscVmMount, AscVmPortForward, AscVmProvision, AscVmSpec } from './core/vm-spec.ts';
export { createVmSpec } from './core/vm-spec.ts';
