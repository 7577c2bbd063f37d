// Small pieces of Go/Lima behaviour the fake limactl needs: sizes (go-units), durations, %#q quoting,
// shell quoting (shellescape.Quote), instance-name rules and lenient version comparison.
import semver from 'semver';
import { goQuote } from './log.mjs';

/** go-units RAMInBytes: `12GiB`, `12G`, `12GB`, `12 gib` are all 12×1024³ (docker/go-units, as Lima reads sizes). */
export function ramInBytes(text) {
  // go-units v0.5.0 parseSize: the number runs to the last digit, '.' or space; a space there is dropped.
  const str = String(text);
  const sep = Math.max(...[...'01234567890. '].map((c) => str.lastIndexOf(c)));
  if (sep === -1) throw new Error(`invalid size: '${str}'`);
  const num = str[sep] === ' ' ? str.slice(0, sep) : str.slice(0, sep + 1);
  const sfx = str.slice(sep + 1);
  // strconv.ParseFloat, base 10 (its hexadecimal form is not simulated).
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(num)) {
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  }
  const size = Number(num) || 0;
  if (size < 0) throw new Error(`invalid size: '${str}'`);
  if (sfx === '') return Math.trunc(size);
  const lower = sfx.toLowerCase();
  const badSuffix = () => new Error(`invalid suffix: '${lower}'`);
  if (lower.length > 3) throw badSuffix();
  if (lower[0] === 'b') {
    if (lower.length > 1) throw badSuffix();
    return Math.trunc(size);
  }
  const power = 'kmgtp'.indexOf(lower[0]) + 1;
  if (power === 0) throw badSuffix();
  if ((lower.length === 2 && lower[1] !== 'b') || (lower.length === 3 && lower.slice(1) !== 'ib')) {
    throw badSuffix();
  }
  return Math.trunc(size * 1024 ** power);
}

/** go-units BytesSize (`%.4g` with binary abbreviations). */
export function bytesSize(bytes) {
  const abbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < abbrs.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${abbrs[i]}`;
}

/** Go time.ParseDuration → milliseconds. */
export function parseDuration(text) {
  if (text === '0') return 0;
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let body = text;
  let sign = 1;
  if (/^[-+]/.test(body)) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  let total = 0;
  let pos = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * (units[m[2]] ?? 0);
    pos = re.lastIndex;
  }
  if (body === '' || pos !== body.length) throw new Error(`time: invalid duration ${goQuote(text)}`);
  return sign * total;
}

/** Go's %#q: a backquoted raw string when possible, else %q. */
export function backquote(text) {
  return /^[^`\p{C}]*$/u.test(text) ? `\`${text}\`` : goQuote(text);
}

/** Names in log messages: `%#q` since v2.1.2, `%q` before (Lima commit 7d9a2769). */
export function nameQuoter(version) {
  return compareVersions(version, '2.1.2') >= 0 ? backquote : goQuote;
}

/** al.essio.dev/pkg/shellescape.Quote */
export function shellQuote(text) {
  if (text === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(text)) return text;
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/** dirnames.ValidateInstName */
export function validateInstName(name) {
  if (name === '') return 'identifier must not be empty';
  if (name.length > 76) return `identifier ${goQuote(name)} greater than maximum length (76 characters)`;
  if (!/^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$/.test(name)) {
    return `identifier ${goQuote(name)} must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$`;
  }
  if (/\.ya?ml$/i.test(name)) {
    return `instance name ${backquote(name)} must not end with .yml or .yaml suffix`;
  }
  return undefined;
}

/** hostname.FromInstName: `lima-` + name with `.` and `_` replaced by `-`. */
export const hostnameOf = (name) => `lima-${name.replaceAll(/[._]/g, '-')}`;

/** Compare `v2.1.0`, `2.1.0-beta.0`, `2.2` leniently, as semver after coercion; junk sorts last. */
export function compareVersions(a, b) {
  const [x, y] = [semver.coerce(String(a ?? '')), semver.coerce(String(b ?? ''))];
  if (!x || !y) return x === y ? 0 : x ? -1 : 1;
  return semver.compare(x, y);
}
