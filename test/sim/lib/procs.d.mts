export interface ProcessInfo {
  pid: number;
  ppid: number;
  zombie: boolean;
  cmdline: string;
  environ: string;
}
export function isAlive(pid: number): boolean;
export function readPidFile(file: string): number;
export function listProcesses(): ProcessInfo[];
export function withDescendants(roots: readonly number[], procs?: readonly ProcessInfo[]): Set<number>;
export function killTrees(options?: {
  roots?: readonly number[];
  match?: (p: ProcessInfo) => boolean;
  graceMs?: number;
}): Promise<number[]>;
