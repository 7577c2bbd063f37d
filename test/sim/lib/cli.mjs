// Command-line parsing as cobra/pflag does it for limactl (cmd/limactl/main.go): persistent global flags
// anywhere, `--` ends flags, and `shell` stops at its first positional (SetInterspersed(false)).
import { LimaError } from './log.mjs';
import { parseDuration } from './util.mjs';

/** Root persistent flags (cmd/limactl/main.go). */
export const GLOBAL_FLAGS = {
  'log-level': { type: 'string', def: '' },
  'log-format': { type: 'string', def: 'text' },
  debug: { type: 'bool', def: false },
  tty: { type: 'bool', def: undefined },
  yes: { type: 'bool', short: 'y', def: false },
};

const BOOLS = { true: true, 1: true, t: true, T: true, TRUE: true, True: true };
const FALSES = { false: false, 0: false, f: false, F: false, FALSE: false, False: false };

function convert(name, spec, raw) {
  const bad = (why) =>
    new LimaError(
      `invalid argument "${raw}" for "${spec.short ? `-${spec.short}, ` : ''}--${name}" flag: ${why}`,
    );
  switch (spec.type) {
    case 'bool':
      if (Object.hasOwn(BOOLS, raw)) return true;
      if (Object.hasOwn(FALSES, raw)) return false;
      throw bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
    case 'int':
      if (!/^[-+]?\d+$/.test(raw)) throw bad(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    case 'float':
      if (Number.isNaN(Number(raw)) || raw.trim() === '') {
        throw bad(`strconv.ParseFloat: parsing "${raw}": invalid syntax`);
      }
      return Number(raw);
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (error) {
        throw bad(error.message);
      }
    default:
      return raw;
  }
}

/**
 * @param {string[]} args
 * @param {Record<string, {type: string, short?: string, def?: unknown, repeat?: boolean}>} spec
 * @returns {{ flags: Record<string, unknown>, changed: Set<string>, positionals: string[] }}
 */
export function parseFlags(args, spec, { interspersed = true } = {}) {
  const flags = {};
  const changed = new Set();
  const positionals = [];
  for (const [name, s] of Object.entries(spec)) flags[name] = s.repeat ? [] : s.def;
  const byShort = new Map(Object.entries(spec).flatMap(([name, s]) => (s.short ? [[s.short, name]] : [])));
  const set = (name, raw) => {
    const s = spec[name];
    const value = convert(name, s, raw);
    if (s.repeat) flags[name].push(value);
    else flags[name] = value;
    changed.add(name);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const s = spec[name];
      if (!s) throw new LimaError(`unknown flag: --${name}`);
      if (eq !== -1) set(name, arg.slice(eq + 1));
      else if (s.type === 'bool') set(name, 'true');
      else if (i + 1 < args.length) set(name, args[++i]);
      else throw new LimaError(`flag needs an argument: ${arg}`);
    } else if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j];
        const name = byShort.get(ch);
        if (!name) throw new LimaError(`unknown shorthand flag: '${ch}' in ${arg}`);
        const s = spec[name];
        if (arg[j + 1] === '=') {
          set(name, arg.slice(j + 2));
          break;
        }
        if (s.type === 'bool') {
          set(name, 'true');
        } else if (j + 1 < arg.length) {
          set(name, arg.slice(j + 1));
          break;
        } else if (i + 1 < args.length) {
          set(name, args[++i]);
        } else {
          throw new LimaError(`flag needs an argument: '${ch}' in ${arg}`);
        }
      }
    } else if (interspersed) {
      positionals.push(arg);
    } else {
      positionals.push(...args.slice(i));
      break;
    }
  }
  return { flags, changed, positionals };
}

/** cobra's Find: the first argument that is neither a flag nor the value of a global flag. */
export function findSubcommand(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return { index: -1 };
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (!name.includes('=') && GLOBAL_FLAGS[name] && GLOBAL_FLAGS[name].type !== 'bool') i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    return { index: i, name: arg };
  }
  return { index: -1 };
}

/** WrapArgsError (cmd/limactl/main.go) around cobra's positional-argument checks. */
export function argsError(command, use, short, problem) {
  return new LimaError(
    `\`limactl ${command}\` ${problem}.\nSee \`limactl ${command} --help\`.\n\nUsage:  limactl ${use}\n\n${short}`,
  );
}
