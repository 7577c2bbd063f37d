// logrus as limactl configures it (cmd/limactl/main.go): everything on stderr; on a non-TTY
// `time="…" level=info msg="…"`, on a TTY `INFO[0000] msg`, with --log-format json one JSON object.
import { writeSync } from 'node:fs';

const LEVELS = ['panic', 'fatal', 'error', 'warning', 'info', 'debug', 'trace'];
const started = Date.now();
const state = { format: 'text', level: 'info', tty: process.stderr.isTTY === true };

export function configureLog({ format, level }) {
  if (format !== undefined) state.format = format;
  if (level !== undefined) state.level = level;
}

/** logrus.ParseLevel */
export function parseLevel(text) {
  const l = text.toLowerCase();
  if (l === 'warn') return 'warning';
  if (LEVELS.includes(l)) return l;
  throw new Error(`not a valid logrus Level: "${text}"`);
}

/** logrus needsQuoting + Go's %q */
function logValue(text) {
  if (text !== '' && /^[A-Za-z0-9\-._/@^+]+$/.test(text)) return text;
  return goQuote(text);
}

export function goQuote(text) {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function timestamp() {
  const d = new Date();
  const offset = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const sign = offset > 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function log(level, msg, fields = {}) {
  if (LEVELS.indexOf(level) > LEVELS.indexOf(state.level)) return;
  let line;
  if (state.format === 'json') {
    line = JSON.stringify(
      Object.fromEntries(
        Object.entries({ ...fields, level, msg, time: timestamp() }).sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    );
  } else if (state.tty) {
    const secs = String(Math.floor((Date.now() - started) / 1000)).padStart(4, '0');
    const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${logValue(String(v))}`);
    line = `${level.slice(0, 4).toUpperCase()}[${secs}] ${msg}${extra.join('')}`;
  } else {
    const extra = Object.entries(fields)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => ` ${k}=${logValue(String(v))}`);
    line = `time="${timestamp()}" level=${level} msg=${logValue(msg)}${extra.join('')}`;
  }
  writeSync(2, `${line}\n`);
}

export const info = (msg, fields) => log('info', msg, fields);
export const warn = (msg, fields) => log('warning', msg, fields);
export const error = (msg, fields) => log('error', msg, fields);
export const debug = (msg, fields) => log('debug', msg, fields);

/** logrus.Fatal: log and exit 1 (limactl's main() ends every returned error this way). */
export function fatal(msg, code = 1) {
  log('fatal', msg);
  process.exit(code);
}

/** An error that ends the command through fatal(), like a RunE error in limactl's main(). */
export class LimaError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Print straight to stdout/stderr without logrus decoration (cobra output, fake-only messages). */
export const out = (text) => writeSync(1, text);
export const err = (text) => writeSync(2, text);
