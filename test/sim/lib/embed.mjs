// What `limactl create` stores (Lima ≥ 2.0, cmd/limactl/start.go loadOrCreateInstance → tmpl.Embed(ctx, true,
// true) in pkg/limatmpl/embed.go): the template with its whole `base:` chain merged in and `base` removed, then
// re-printed (yamlfmt with indentless arrays). A template without `base:` (and no _config/base.yaml) is stored
// byte for byte, as Lima evaluates no expression then.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { LimaError } from './log.mjs';
import { compareVersions } from './util.mjs';

/** The lima.yaml text Lima stores for a template, or undefined when it stores the bytes as they are. */
export function embedBases(text, { file, defaultTemplate, limaHome, q }) {
  const doc = parseDocument(text);
  // A template that does not parse is left to instance.Create's unmarshal, which says why.
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  // dirnames.LimaConfigDir()/base.yaml is prepended to every template's bases.
  const defaultBase = path.join(limaHome, '_config', 'base.yaml');
  const locators = baseList(doc);
  if (existsSync(defaultBase)) locators.unshift(defaultBase);
  if (locators.length === 0) return undefined;
  const dir = file ? path.dirname(file) : process.cwd();
  const seen = new Set();
  const queue = locators.map((l) => absolute(l, dir));
  // A comment above `base:` stays at the top (the sim keeps it; yaml.v3 may tie it to the key instead).
  const basePair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'base');
  if (basePair?.key.commentBefore && doc.contents.items[0] === basePair) {
    doc.commentBefore = [doc.commentBefore, basePair.key.commentBefore].filter(Boolean).join('\n');
  }
  doc.delete('base');
  while (queue.length > 0) {
    const locator = queue.shift();
    if (seen.has(locator)) {
      throw new LimaError(`base template loop detected: template ${q(locator)} already included`);
    }
    seen.add(locator);
    const base = parseDocument(readBase(locator, defaultTemplate));
    // The base's own bases come before what is left of this template's (mergeDocuments prepends `base`).
    const baseDir = locator.startsWith('template:') ? dir : path.dirname(locator);
    queue.unshift(...baseList(base).map((l) => absolute(l, baseDir)));
    base.delete('base');
    mergeOnlyNew(doc.contents, base.contents, []);
    if (isMap(doc.contents) && isMap(base.contents)) keepHigherMinimum(doc, base);
  }
  combineMounts(doc);
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}

function baseList(doc) {
  const base = doc.get('base', true);
  if (base === undefined || base === null) return [];
  const items = isSeq(base) ? base.items : [base];
  return items.map((item) => {
    const value = isMap(item) ? item.get('url') : isScalar(item) ? item.value : item;
    return String(value);
  });
}

function absolute(locator, dir) {
  if (locator.startsWith('template:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(locator)) return locator;
  return path.resolve(dir, locator.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
}

function readBase(locator, defaultTemplate) {
  if (locator === 'template:default') return defaultTemplate;
  if (locator.startsWith('template:') || locator.includes('://')) {
    throw new LimaError(
      `fake limactl: only template:default and files are simulated as a base, not ${locator}`,
    );
  }
  try {
    return readFileSync(locator, 'utf8');
  } catch {
    throw new LimaError(`open ${locator}: no such file or directory`);
  }
}

/**
 * mergeDocuments: fields of the base the template lacks are copied (maps merged key by key, at any depth);
 * lists the template has get the base's items appended, but `provision` and `probes` get them prepended;
 * `dns` is taken from the base only when the template has none.
 */
function mergeOnlyNew(into, from, keyPath) {
  if (!isMap(into) || !isMap(from)) return;
  for (const pair of from.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    const mine = into.get(key, true);
    if (mine === undefined) {
      into.set(pair.key, pair.value);
    } else if (isMap(mine) && isMap(pair.value)) {
      mergeOnlyNew(mine, pair.value, [...keyPath, key]);
    } else if (isSeq(mine) && isSeq(pair.value)) {
      const top = keyPath[0] ?? key;
      if (top === 'dns' && mine.items.length > 0) continue;
      if (top === 'provision' || top === 'probes') mine.items.unshift(...pair.value.items);
      else mine.items.push(...pair.value.items);
    }
  }
}

function keepHigherMinimum(doc, base) {
  const mine = doc.get('minimumLimaVersion');
  const theirs = base.get('minimumLimaVersion');
  if (mine && theirs && compareVersions(String(theirs), String(mine)) > 0)
    doc.set('minimumLimaVersion', theirs);
}

/**
 * combineMounts: entries with one mount point (`mountPoint`, else `location`) are one mount; the first keeps
 * its fields and takes the ones it lacks from the later, which is removed. `*` gives its fields to all before it.
 */
function combineMounts(doc) {
  const mounts = doc.get('mounts', true);
  if (!isSeq(mounts)) return;
  const firstAt = new Map();
  const kept = [];
  for (const entry of mounts.items) {
    if (!isMap(entry)) {
      kept.push(entry);
      continue;
    }
    const point = String(entry.get('mountPoint') ?? entry.get('location') ?? '');
    const targets = point === '*' ? kept.filter(isMap) : firstAt.has(point) ? [firstAt.get(point)] : [];
    if (targets.length === 0 && point !== '*') {
      if (point !== '') firstAt.set(point, entry);
      kept.push(entry);
      continue;
    }
    for (const target of targets) {
      for (const pair of entry.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (key !== 'location' && !target.has(key)) target.set(pair.key, pair.value);
      }
    }
  }
  mounts.items = kept;
}
