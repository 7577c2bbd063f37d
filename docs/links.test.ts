// Every relative link in docs/ leads somewhere: the file exists, and an anchor names a heading of it
// (GitHub's slugs, from github-slugger, the library GitHub's own renderers follow).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = path.join(ROOT, 'docs');

/**
 * Pages written in parallel on another branch: a link to one is checked once the page is there, and
 * skipped until then (so this branch can link to it before the merge).
 */
const WRITTEN_ELSEWHERE = new Set(['docs/taskfile.md']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return markdownFiles(file);
    return name.endsWith('.md') ? [file] : [];
  });
}

/** The text outside fenced code blocks and inline code: where a link is a link. */
function prose(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      lines.push('');
      continue;
    }
    lines.push(fence === undefined ? line.replace(/(`+)[^`]*?\1/g, '') : '');
  }
  return lines;
}

/** The anchors of a page: one per heading, numbered as GitHub numbers repeats. */
function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const found = new Set<string>();
  let fence: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1] : undefined;
    // GitHub slugs the heading's text: code spans and links keep their words, not their marks.
    if (heading) found.add(slugger.slug(heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '')));
  }
  return found;
}

interface Link {
  from: string;
  line: number;
  target: string;
}

function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(file, 'utf8')).forEach((text, index) => {
    for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      links.push({ from: path.relative(ROOT, file), line: index + 1, target });
    }
  });
  return links;
}

const files = markdownFiles(DOCS);
const links = files.flatMap(relativeLinks);

describe('links in docs/', () => {
  it('finds the pages and their links', () => {
    expect(files.map((f) => path.relative(DOCS, f))).toContain('guide.md');
    expect(links.length).toBeGreaterThan(100);
  });

  it('every relative link names a file that exists, and a heading of it', () => {
    const broken: string[] = [];
    for (const { from, line, target } of links) {
      const [file = '', anchor] = target.split('#', 2);
      const resolved = file ? path.resolve(ROOT, path.dirname(from), decodeURI(file)) : path.join(ROOT, from);
      const where = `${from}:${line}: ${target}`;
      if (!existsSync(resolved)) {
        if (!WRITTEN_ELSEWHERE.has(path.relative(ROOT, resolved))) broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md')) {
        broken.push(`${where} (an anchor in a file that is not Markdown)`);
        continue;
      }
      if (!anchors(resolved).has(decodeURIComponent(anchor))) broken.push(`${where} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});
