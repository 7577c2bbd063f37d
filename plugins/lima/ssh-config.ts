import path from 'node:path';
import picomatch from 'picomatch';
import type { AscFiles } from '../../src/index.ts';

/**
 * The `Include` of one instance's ssh.config by absolute path. WezTerm's ssh parser expands neither `~`
 * nor several paths on one line (wezterm-ssh/src/config.rs; wezterm#7812), so Lima's documented
 * `Include ~/.lima/*\/ssh.config` is not enough.
 */
export function includeLine(sshConfigPath: string): string {
  return `Include ${/\s/.test(sshConfigPath) ? `"${sshConfigPath}"` : sshConfigPath}`;
}

/**
 * True when a line `Include <sshConfigPath>` (that path alone: WezTerm reads one path per line) stands
 * before the first Host or Match block.
 */
export function hasInclude(text: string, sshConfigPath: string): boolean {
  return includeProblems(text, sshConfigPath).found;
}

/** How ~/.ssh/config includes an instance's ssh.config: in a form both OpenSSH and WezTerm read, or why not. */
export type IncludeCheck = { found: true } | { found: false; readableByOpenSsh: boolean; why: string };

/**
 * WezTerm's ssh parser expands neither `~` nor globs' `~` and reads one path per Include line
 * (wezterm-ssh/src/config.rs; wezterm#7812); OpenSSH scopes an Include after a Host or Match line to
 * that block. Only an absolute, single-path Include before the first block serves both.
 */
export function includeProblems(
  text: string,
  sshConfigPath: string,
  home = homeOf(sshConfigPath),
): IncludeCheck {
  let inBlock = false;
  let lineNo = 0;
  let openSshOnly: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    const [keyword, args] = splitLine(line);
    if (keyword === 'host' || keyword === 'match') inBlock = true;
    if (keyword !== 'include') continue;
    const paths = splitArgs(args);
    const names = paths.some((p) => matchesPath(p, sshConfigPath, home));
    if (!names) continue;
    if (inBlock) {
      return {
        found: false,
        readableByOpenSsh: false,
        why: `line ${lineNo} includes ${sshConfigPath} inside a Host or Match block, where OpenSSH applies it only to that block`,
      };
    }
    if (paths.length === 1 && paths[0] === sshConfigPath) return { found: true };
    openSshOnly ??= `line ${lineNo} (\`${line.trim()}\`) includes it in a form OpenSSH reads but WezTerm does not (a \`~\`, a glob or several paths on one line)`;
  }
  if (openSshOnly) return { found: false, readableByOpenSsh: true, why: openSshOnly };
  return {
    found: false,
    readableByOpenSsh: false,
    why: `no Include of ${sshConfigPath}: ssh and WezTerm cannot find the VM by its alias`,
  };
}

/** An Include argument names the file: the same absolute path, or a `~`/glob pattern that matches it. */
function matchesPath(pattern: string, file: string, home: string): boolean {
  const expanded = pattern.replace(/^~(?=\/)/, home);
  if (expanded === file) return true;
  return /[*?[]/.test(expanded) && picomatch(expanded, { dot: true })(file);
}

/** `<home>/.lima/<instance>/ssh.config` → `<home>` (the Include's `~` is the same home). */
function homeOf(sshConfigPath: string): string {
  return sshConfigPath.replace(/\/\.lima\/[^/]+\/ssh\.config$/, '');
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

/**
 * The text without the block `addInclude` added (its comment line and the Include), and without the blank
 * line it added beside them; undefined when the block is not there. Other Includes of the file stay.
 */
export function removeInclude(text: string, sshConfigPath: string, instance: string): string | undefined {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const comment = addInclude('', sshConfigPath, instance).split('\n')[0];
  const at = lines.findIndex((line, i) => line === comment && lines[i + 1] === includeLine(sshConfigPath));
  if (at === -1) return undefined;
  const rest = lines.slice(at + 2);
  const atEnd = rest.every((line) => line === '');
  if (atEnd) {
    // Appended: a blank line before it (when the file had text), and the file's last newline after it.
    const head = lines.slice(0, at);
    if (head.length > 0 && head.at(-1) === '') head.pop();
    return head.length === 0 ? '' : `${head.join(eol)}${eol}`;
  }
  // Before the first Host or Match line, with a blank line after it.
  if (rest[0] === '') rest.shift();
  return [...lines.slice(0, at), ...rest].join(eol);
}

/** Who owns ~/.ssh/config: asc may write it, or it belongs to home-manager / is read-only. */
export type SshConfigOwner = { writable: true } | { writable: false; why: string; fix: string };

/**
 * Decided by the link's target and the mode bits, never by access(2), which says yes to root.
 * A link into the Nix store ($NIX_STORE_DIR, default /nix/store) is home-manager's; a file without
 * the owner's write bit is read-only; any other link (stow) is written through to its target.
 */
export async function sshConfigOwner(
  files: AscFiles,
  file: string,
  sshConfigPath: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SshConfigOwner> {
  let info = await files.lstat(file);
  if (!info) return { writable: true };
  const store = path.resolve(env.NIX_STORE_DIR || '/nix/store');
  let target = file;
  if (info.kind === 'symlink') {
    target = (await files.realpath(file)) ?? file;
    if (target === store || target.startsWith(`${store}/`)) {
      return {
        writable: false,
        why: `${file} is a link into the Nix store (${target}): home-manager manages it`,
        fix: `add to your home-manager config, then switch:\n  programs.ssh.includes = [ "${sshConfigPath}" ];`,
      };
    }
    info = (await files.lstat(target)) ?? info;
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
