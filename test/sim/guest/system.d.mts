export const GUEST_BIN: string;
export const OS_RELEASE: { ubuntu: string; nixos: string };
export const LIMA_UNITS: readonly string[];
export interface GuestPaths {
  root: string;
  osRelease: string;
  hostname: string;
  run: string;
  currentSystem: string;
  units: string;
  bootDefault: string;
  lastBooted: string;
  systems: string;
}
export interface SimulatedSystem {
  toplevel: string;
  hostName: string;
  lima: boolean;
  mutableUsers: boolean;
  image?: string;
}
export function guestPaths(root: string): GuestPaths;
export function parseOsRelease(text: string | undefined): Record<string, string>;
export function isNixos(root: string): boolean;
export function nixosLimaRelease(location: string): string | undefined;
export function imageSystem(location: string): SimulatedSystem;
export function flakeSystem(flakeDir: string, host: string): SimulatedSystem | { error: string };
