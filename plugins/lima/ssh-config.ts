import type { Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The `Include` of one instance's ssh.config by absolute path. WezTerm's ssh parser expands neither `~`
 * nor several paths on one line (wezterm-ssh/src/config.rs; wezterm#7812), so Lima's documented
 * `Include ~/.lima/*\/ssh.config` is not enough.
 */
export function includeLine(sshConfigPath: string): string {
  return `Include ${/\s/.test(sshConfigPath) ? `"${sshConfigPath}"` : sshConfigPath}`;
}

/** True when an Include naming `sshConfigPath` stands before the first Host or Match block. */
export function hasInclude(text: string, sshConfigPath: string): boolean {
  for (const line of text.split(/\r?\n/)) {
    const [keyword, args] = splitLine(line);
    if (keyword === 'host' || keyword === 'match') return false;
    if (keyword === 'include' && splitArgs(args).includes(sshConfigPath)) return true;
  }
  return false;
}

/** The text with our Include added before the first Host/Match line (or at the end); nothing else moves. */
export function addInclude(text: string, sshConfigPath: string, instance: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = [
    `# Lima instance "${instance}": lets \`ssh lima-${instance}\` and WezTerm find the VM (added by asc).`,
    includeLine(sshConfigPath),
  ];
  const lines = text.length ? text.split(/\r?\n/) : [];
  const first = lines.findIndex((line) => {
    const [keyword] = splitLine(line);
    return keyword === 'host' || keyword === 'match';
  });
  if (first === -1) {
    const body = text.length && !text.endsWith('\n') ? `${text}${eol}` : text;
    const gap = body.trim().length ? eol : '';
    return `${body}${gap}${block.join(eol)}${eol}`;
  }
  lines.splice(first, 0, ...block, '');
  return lines.join(eol);
}

/** Who owns ~/.ssh/config: asc may write it, or it belongs to home-manager / is read-only. */
export type SshConfigOwner = { writable: true } | { writable: false; why: string; fix: string };

/**
 * Decided by the link's target and the mode bits, never by access(2), which says yes to root.
 * A link into the Nix store ($NIX_STORE_DIR, default /nix/store) is home-manager's; a file without
 * the owner's write bit is read-only; any other link (stow) is written through to its target.
 */
export async function sshConfigOwner(
  file: string,
  sshConfigPath: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SshConfigOwner> {
  let info: Stats;
  try {
    info = await lstat(file);
  } catch {
    return { writable: true };
  }
  const store = path.resolve(env.NIX_STORE_DIR || '/nix/store');
  let target = file;
  if (info.isSymbolicLink()) {
    target = await realpath(file).catch(() => file);
    if (target === store || target.startsWith(`${store}/`)) {
      return {
        writable: false,
        why: `${file} is a link into the Nix store (${target}): home-manager manages it`,
        fix: `add to your home-manager config, then switch:\n  programs.ssh.includes = [ "${sshConfigPath}" ];`,
      };
    }
    info = await lstat(target).catch(() => info);
  }
  if ((info.mode & 0o200) === 0) {
    return {
      writable: false,
      why: `${target} is read-only (mode ${(info.mode & 0o777).toString(8)})`,
      fix: `add this line to ${file}, before the first Host or Match line:\n  ${includeLine(sshConfigPath)}`,
    };
  }
  return { writable: true };
}

/** `Keyword args` or `Keyword=args`, comments and blank lines ignored; the keyword lower-cased. */
function splitLine(line: string): [string, string] {
  const trimmed = line.trim();
  if (!trimmed || trimmed.startsWith('#')) return ['', ''];
  const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed);
  return match ? [match[1]!.toLowerCase(), match[2] ?? ''] : [trimmed.toLowerCase(), ''];
}

/** Whitespace-separated arguments, double quotes grouping (as OpenSSH's argv_split reads them). */
function splitArgs(args: string): string[] {
  return [...args.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}
