// A dependency-free YAML reader for the fake limactl: block and flow collections, plain, quoted and
// block scalars (| > with chomping and indentation indicators), comments, one document, core schema.
// Anchors, aliases, tags other than !!str, complex keys and multiple documents are refused with a
// clear error rather than guessed at. yaml.test.ts checks it against the `yaml` package.

export class YamlError extends Error {
  constructor(message, line) {
    super(line ? `yaml: line ${line}: ${message}` : `yaml: ${message}`);
    this.name = 'YamlError';
  }
}

/** @param {string} text */
export function parseYaml(text) {
  return new Parser(text).document();
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);

/** YAML 1.2 core schema for a plain scalar. */
export function resolvePlain(s) {
  if (NULLS.has(s)) return null;
  if (TRUES.has(s)) return true;
  if (FALSES.has(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  if (/^0o[0-7]+$/.test(s)) return Number.parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return Number.parseFloat(s);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return Number.NaN;
  return s;
}

function setKey(obj, key, value, line) {
  if (Object.hasOwn(obj, key)) throw new YamlError(`mapping key "${key}" already defined`, line);
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const isSeqItem = (c) => c === '-' || c.startsWith('- ') || c.startsWith('-\t');

/** Remove a trailing ` # comment` outside quotes. */
function stripComment(s) {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      if (i === 0 || /[\s[{,:]/.test(s[i - 1] ?? '')) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(s[i - 1] ?? ''))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

class Parser {
  constructor(text) {
    const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    const rows = src.split('\n');
    if (rows.length > 1 && rows[rows.length - 1] === '') rows.pop();
    this.lines = rows.map((raw, index) => {
      const indent = raw.length - raw.replace(/^ +/, '').length;
      const content = raw.slice(indent);
      return { n: index + 1, raw, indent, content: content.trimEnd() };
    });
    this.i = 0;
    this.end = this.lines.length;
  }

  fail(message, line) {
    throw new YamlError(message, line?.n ?? this.lines[Math.min(this.i, this.lines.length - 1)]?.n);
  }

  isInsignificant(line) {
    return line.content === '' || line.content.startsWith('#');
  }

  /** Advance past blank and comment lines; return the current significant line or undefined. */
  skip() {
    while (this.i < this.end) {
      const line = this.lines[this.i];
      if (!this.isInsignificant(line)) {
        if (/^\t/.test(line.content)) {
          this.fail('found a tab character where an indentation space is expected', line);
        }
        return line;
      }
      this.i++;
    }
    return undefined;
  }

  document() {
    // Directives and the document markers.
    while (this.i < this.end) {
      const line = this.lines[this.i];
      if (this.isInsignificant(line) || (line.indent === 0 && line.content.startsWith('%'))) this.i++;
      else break;
    }
    const first = this.lines[this.i];
    if (first && first.indent === 0 && /^---(\s|$)/.test(first.content)) {
      if (stripComment(first.content.slice(3)).trim() !== '') {
        this.fail('content on the "---" line is not supported', first);
      }
      this.i++;
    }
    for (let j = this.i; j < this.lines.length; j++) {
      const line = this.lines[j];
      if (line.indent === 0 && /^(---|\.\.\.)(\s|$)/.test(line.content)) {
        this.end = j;
        for (let k = j + 1; k < this.lines.length; k++) {
          const rest = this.lines[k];
          if (!this.isInsignificant(rest) && !/^(---|\.\.\.)\s*$/.test(rest.content)) {
            this.fail('multiple YAML documents are not supported', rest);
          }
        }
        break;
      }
    }
    const line = this.skip();
    if (!line) return null;
    const value = this.blockAt(line.indent);
    const extra = this.skip();
    if (extra) this.fail('did not find expected <document end>', extra);
    return value;
  }

  /** A block node starting on the current (significant) line at the given indent. */
  blockAt(indent) {
    const line = this.lines[this.i];
    if (isSeqItem(line.content)) return this.sequence(indent);
    if (this.splitKey(line.content, line)) return this.mapping(indent);
    this.i++;
    return this.inlineValue(line.content, line, indent - 1, false);
  }

  /** `key: rest` → { key, rest } or null when the content is not a mapping entry. */
  splitKey(content, line) {
    if (content.startsWith('? ') || content === '?') {
      this.fail('complex mapping keys are not supported', line);
    }
    if (content.startsWith('"') || content.startsWith("'")) {
      let quoted;
      try {
        quoted = readQuoted(content, 0, line, this);
      } catch (error) {
        if (error instanceof UnterminatedQuote) return null;
        throw error;
      }
      const { value, end } = quoted;
      const after = content.slice(end);
      const m = /^[ \t]*:(?=\s|$)/.exec(after);
      if (!m) return null;
      return { key: value, rest: after.slice(m[0].length) };
    }
    if (/^[[{]/.test(content)) return null;
    for (let i = 0; i < content.length; i++) {
      const ch = content[i];
      if (ch === '#' && i > 0 && /\s/.test(content[i - 1] ?? '')) return null;
      if (ch === ':' && (i + 1 === content.length || /\s/.test(content[i + 1] ?? ''))) {
        const key = content.slice(0, i).trimEnd();
        if (key === '') return null;
        if (/^[&*!]/.test(key)) this.fail('anchors, aliases and tags are not supported', line);
        return { key: keyString(resolvePlain(key), key), rest: content.slice(i + 1) };
      }
    }
    return null;
  }

  mapping(indent) {
    const obj = {};
    for (;;) {
      const line = this.skip();
      if (!line || line.indent < indent) break;
      if (line.indent > indent) this.fail('bad indentation of a mapping entry', line);
      if (isSeqItem(line.content)) break;
      const kv = this.splitKey(line.content, line);
      if (!kv) this.fail('could not find expected ":"', line);
      this.i++;
      setKey(obj, kv.key, this.valueAfter(kv.rest, line, indent, true), line.n);
    }
    return obj;
  }

  sequence(indent) {
    const arr = [];
    for (;;) {
      const line = this.skip();
      if (!line || line.indent < indent) break;
      if (line.indent > indent) this.fail('bad indentation of a sequence entry', line);
      if (!isSeqItem(line.content)) break;
      const after = line.content.slice(1);
      const rest = after.trimStart();
      const childIndent = line.indent + 1 + (after.length - rest.length);
      if (rest !== '' && !rest.startsWith('#') && (isSeqItem(rest) || this.splitKey(rest, line))) {
        // A compact nested collection: re-read this line as if it started at the item's column.
        this.lines[this.i] = { ...line, indent: childIndent, content: rest };
        arr.push(this.blockAt(childIndent));
      } else {
        this.i++;
        arr.push(this.valueAfter(rest, line, line.indent, false));
      }
    }
    return arr;
  }

  /** The value after `key:` or `- ` (already consumed); nested blocks start on the following lines. */
  valueAfter(rest, line, ownerIndent, inMapping) {
    let text = rest.trimStart();
    let forceString = false;
    if (text.startsWith('!!str ') || text === '!!str') {
      forceString = true;
      text = text.slice(5).trimStart();
    }
    if (/^[&*!]/.test(text)) this.fail('anchors, aliases and tags are not supported', line);
    if (text === '' || text.startsWith('#')) {
      const next = this.skip();
      if (next && next.indent > ownerIndent) return this.blockAt(next.indent);
      if (inMapping && next && next.indent === ownerIndent && isSeqItem(next.content)) {
        return this.sequence(ownerIndent);
      }
      return forceString ? '' : null;
    }
    const value = this.inlineValue(text, line, ownerIndent, true);
    return forceString && value !== null && typeof value !== 'object' ? String(value) : value;
  }

  /** A scalar or flow node whose text starts on `line` (already consumed). */
  inlineValue(text, line, ownerIndent, allowBlockScalar) {
    if (allowBlockScalar && /^[|>]/.test(text)) return this.blockScalar(text, line, ownerIndent);
    if (text.startsWith('[') || text.startsWith('{')) return this.flow(text, line);
    if (text.startsWith('"') || text.startsWith("'")) return this.quoted(text, line);
    if (/^[@`%]/.test(text)) this.fail(`a plain scalar cannot start with "${text[0]}"`, line);
    return this.plain(text, line, ownerIndent);
  }

  plain(text, line, ownerIndent) {
    const first = stripComment(text);
    const parts = [first];
    if (first === text.trimEnd()) {
      // A plain scalar may continue on more-indented lines (folded with spaces) until a comment.
      let blanks = 0;
      for (let j = this.i; j < this.end; j++) {
        const next = this.lines[j];
        if (next.content === '') {
          blanks++;
          continue;
        }
        if (next.indent <= ownerIndent || next.content.startsWith('#')) break;
        const piece = stripComment(next.content);
        if (this.splitKey(piece, next)) this.fail('mapping values are not allowed in this context', next);
        parts.push(blanks > 0 ? '\n'.repeat(blanks) : ' ', piece);
        blanks = 0;
        this.i = j + 1;
        if (piece !== next.content) break;
      }
    }
    const joined = parts.join('');
    this.checkPlain(joined, line);
    return parts.length === 1 ? resolvePlain(joined) : joined;
  }

  checkPlain(s, line) {
    if (/:(\s|$)/.test(s)) this.fail('mapping values are not allowed in this context', line);
  }

  quoted(text, line) {
    // Gather following lines: a quoted scalar may span several.
    let joined = text;
    let consumed = 0;
    for (;;) {
      try {
        const { value, end } = readQuoted(joined, 0, line, this);
        if (stripComment(joined.slice(end)).trim() !== '') {
          this.fail('unexpected text after a quoted scalar', line);
        }
        this.i += consumed;
        return value;
      } catch (error) {
        if (!(error instanceof UnterminatedQuote) || this.i + consumed >= this.end) {
          if (error instanceof UnterminatedQuote) this.fail('found unterminated quoted scalar', line);
          throw error;
        }
        joined += `\n${this.lines[this.i + consumed].raw}`;
        consumed++;
      }
    }
  }

  blockScalar(header, line, ownerIndent) {
    const m = /^([|>])([+-]?)([1-9]?)([+-]?)\s*(#.*)?$/.exec(header);
    if (!m) this.fail('invalid block scalar header', line);
    const literal = m[1] === '|';
    const chomp = m[2] || m[4] || '';
    const explicit = m[3] ? ownerIndent + Number(m[3]) : 0;
    const body = [];
    let blockIndent = explicit;
    while (this.i < this.end) {
      const next = this.lines[this.i];
      const blank = next.raw.trim() === '';
      if (!blank) {
        if (blockIndent === 0) {
          if (next.indent <= ownerIndent) break;
          blockIndent = next.indent;
        }
        if (next.indent < blockIndent) break;
        if (/^\t/.test(next.raw.slice(0, blockIndent))) this.fail('tab in block scalar indentation', next);
      }
      body.push(
        blank
          ? next.raw.slice(Math.min(blockIndent || next.raw.length, next.raw.length))
          : next.raw.slice(blockIndent),
      );
      this.i++;
    }
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1]?.trim() === '') {
      body.pop();
      trailing++;
    }
    let text;
    if (literal) {
      text = body.join('\n');
    } else {
      text = '';
      let pendingBlank = 0;
      let prevMore = false;
      let started = false;
      for (const piece of body) {
        if (piece.trim() === '' && !/^[ \t]/.test(piece)) {
          pendingBlank++;
          continue;
        }
        const more = /^[ \t]/.test(piece);
        if (!started) text += '\n'.repeat(pendingBlank);
        else if (pendingBlank === 0) text += more || prevMore ? '\n' : ' ';
        else text += '\n'.repeat(pendingBlank + (more || prevMore ? 1 : 0));
        text += piece;
        started = true;
        prevMore = more;
        pendingBlank = 0;
      }
    }
    if (chomp === '-') return text;
    if (chomp === '+') return body.length > 0 ? `${text}\n${'\n'.repeat(trailing)}` : '\n'.repeat(trailing);
    return body.length > 0 ? `${text}\n` : '';
  }

  flow(text, line) {
    let joined = stripComment(text);
    let depth = flowDepth(joined);
    while (depth > 0) {
      if (this.i >= this.end) this.fail('did not find the end of a flow collection', line);
      const next = this.lines[this.i++];
      joined += `\n${stripComment(next.content)}`;
      depth = flowDepth(joined);
    }
    const reader = new FlowReader(joined, line, this);
    const value = reader.value();
    reader.ws();
    if (reader.pos < joined.length) this.fail('unexpected text after a flow collection', line);
    return value;
  }
}

function keyString(resolved, raw) {
  if (resolved === null) return raw === '' ? '' : 'null';
  return String(resolved);
}

class UnterminatedQuote extends Error {}

/** Read a quoted scalar starting at s[start]; line breaks inside are folded as YAML does. */
function readQuoted(s, start, line, parser) {
  const q = s[start];
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= s.length) throw new UnterminatedQuote();
    const ch = s[i];
    if (q === "'" && ch === "'") {
      if (s[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    if (q === '"' && ch === '"') return { value: out, end: i + 1 };
    if (ch === '\n') {
      out = out.replace(/[ \t]+$/, '');
      let breaks = 0;
      while (i < s.length && /[\n \t]/.test(s[i] ?? '')) {
        if (s[i] === '\n') breaks++;
        i++;
      }
      out += breaks > 1 ? '\n'.repeat(breaks - 1) : ' ';
      continue;
    }
    if (q === '"' && ch === '\\') {
      const e = s[i + 1];
      if (e === undefined) throw new UnterminatedQuote();
      if (e === '\n') {
        i += 2;
        while (i < s.length && /[ \t]/.test(s[i] ?? '')) i++;
        continue;
      }
      const simple = {
        0: '\0',
        a: '\x07',
        b: '\b',
        t: '\t',
        '\t': '\t',
        n: '\n',
        v: '\v',
        f: '\f',
        r: '\r',
        e: '\x1b',
        ' ': ' ',
        '"': '"',
        '/': '/',
        '\\': '\\',
        N: '\x85',
        _: '\xa0',
        L: '\u2028',
        P: '\u2029',
      };
      if (Object.hasOwn(simple, e)) {
        out += simple[e];
        i += 2;
        continue;
      }
      const width = { x: 2, u: 4, U: 8 }[e];
      const hex = width ? s.slice(i + 2, i + 2 + width) : '';
      if (!width || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) {
        parser.fail(`invalid escape "\\${e}" in a double-quoted scalar`, line);
      }
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 2 + width;
      continue;
    }
    out += ch;
    i++;
  }
}

function flowDepth(s) {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
    } else if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(s[i - 1] ?? ' ')) quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
  }
  return depth;
}

class FlowReader {
  constructor(s, line, parser) {
    this.s = s;
    this.pos = 0;
    this.line = line;
    this.parser = parser;
  }

  ws() {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos] ?? '')) this.pos++;
  }

  fail(message) {
    this.parser.fail(message, this.line);
  }

  value() {
    this.ws();
    const ch = this.s[this.pos];
    if (ch === '[') return this.seq();
    if (ch === '{') return this.map();
    if (ch === '"' || ch === "'") {
      try {
        const { value, end } = readQuoted(this.s, this.pos, this.line, this.parser);
        this.pos = end;
        return value;
      } catch (error) {
        if (error instanceof UnterminatedQuote) this.fail('found unterminated quoted scalar');
        throw error;
      }
    }
    if (ch !== undefined && /[&*!@`]/.test(ch)) this.fail('anchors, aliases and tags are not supported');
    return resolvePlain(this.plainText());
  }

  plainText() {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos];
      if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{') break;
      if (ch === ':' && /[\s,\]}]/.test(this.s[this.pos + 1] ?? ' ')) break;
      this.pos++;
    }
    return this.s
      .slice(start, this.pos)
      .trim()
      .replace(/[ \t]*\n\s*/g, (fold) => {
        const breaks = fold.split('\n').length - 1;
        return breaks > 1 ? '\n'.repeat(breaks - 1) : ' ';
      });
  }

  seq() {
    this.pos++;
    const arr = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === ']') {
        this.pos++;
        return arr;
      }
      const item = this.value();
      this.ws();
      if (this.s[this.pos] === ':') {
        this.pos++;
        const pair = {};
        setKey(pair, keyString(item, String(item ?? '')), this.value(), this.line.n);
        arr.push(pair);
        this.ws();
      } else {
        arr.push(item);
      }
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') this.fail('did not find expected "," or "]"');
    }
  }

  map() {
    this.pos++;
    const obj = {};
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return obj;
      }
      const keyValue = this.value();
      if (keyValue !== null && typeof keyValue === 'object') {
        this.fail('complex mapping keys are not supported');
      }
      const key = keyString(keyValue, String(keyValue ?? ''));
      this.ws();
      let value = null;
      if (this.s[this.pos] === ':') {
        this.pos++;
        this.ws();
        if (this.s[this.pos] !== ',' && this.s[this.pos] !== '}') value = this.value();
      }
      setKey(obj, key, value, this.line.n);
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') this.fail('did not find expected "," or "}"');
    }
  }
}
