// `limactl validate` (template validate), `limactl info`, and the help text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { argsError } from './cli.mjs';
import { DEFAULT_TEMPLATE } from './create.mjs';
import { info, LimaError, out } from './log.mjs';
import { configDir, effectiveConfig, instanceDir, limaDir, validateConfig } from './store.mjs';

export async function validateCommand(ctx, args) {
  const { flags, positionals } = ctx.parse(args, { fill: { type: 'bool', def: false } });
  if (positionals.length === 0) {
    throw argsError(
      'validate',
      'validate FILE.yaml [FILE.yaml, ...] [flags]',
      'Validate YAML templates',
      'requires at least 1 arg(s), only received 0',
    );
  }
  if (flags.fill) throw new LimaError('fake limactl: `validate --fill` is not implemented');
  for (const arg of positionals) {
    const file = path.resolve(arg);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new LimaError(`open ${file}: no such file or directory`);
    }
    if (text.length === 0) {
      throw new LimaError(`don't know how to interpret ${ctx.q(arg)} as a template locator`);
    }
    const name = path.basename(file).replace(/\.ya?ml$/i, '');
    let y;
    try {
      y = parseYaml(text) ?? {};
    } catch (error) {
      throw new LimaError(
        `failed to unmarshal YAML (${path.join(limaDir(), `${name}.yaml`)}): ${error.message}`,
      );
    }
    const problems = validateConfig(y);
    if (problems.length === 0) {
      try {
        effectiveConfig(name, instanceDir(name), y);
      } catch (error) {
        problems.push(error.message);
      }
    }
    if (problems.length > 0) {
      throw new LimaError(`failed to validate YAML file ${ctx.q(arg)}: ${problems.join('\n')}`);
    }
    info(`${ctx.q(arg)}: OK`);
  }
}

export async function infoCommand(ctx, args) {
  const { flags, positionals } = ctx.parse(args, { yq: { type: 'string', def: '.' } });
  if (positionals.length > 0) {
    throw argsError(
      'info',
      'info [flags]',
      'Show diagnostic information',
      `unknown command ${JSON.stringify(positionals[0])} for "limactl info"`,
    );
  }
  if (flags.yq !== '.') throw new LimaError('fake limactl: `info --yq` is not implemented');
  const data = {
    version: ctx.version,
    templates: [{ name: 'default', location: '/opt/homebrew/share/lima/templates/default.yaml' }],
    defaultTemplate: effectiveConfig('default', instanceDir('default'), parseYaml(DEFAULT_TEMPLATE)),
    limaHome: limaDir(),
    vmTypes: ['krunkit', 'qemu', 'vz'],
    guestAgents: {
      Linux: { aarch64: { location: '/opt/homebrew/share/lima/lima-guestagent.Linux-aarch64.gz' } },
    },
    hostOS: 'darwin',
    hostArch: 'aarch64',
    identityFile: path.join(configDir(), 'user'),
  };
  out(`${JSON.stringify(data, null, 4)}\n`);
}

export function helpText() {
  return `Lima: Linux virtual machines (fake limactl of the simulated Mac, test/sim)

Usage:
  limactl [command]

Basic Commands:
  create      Create an instance of Lima
  delete      Delete an instance of Lima
  edit        Edit an instance of Lima or a template
  list        List instances of Lima
  restart     Restart a running instance
  shell       Execute shell in Lima
  start       Start an instance of Lima
  stop        Stop an instance

Advanced Commands:
  info        Show diagnostic information
  validate    Validate YAML templates

Flags:
      --debug               Debug mode
  -h, --help                help for limactl
      --log-format string   Set the logging format [text, json] (default "text")
      --log-level string    Set the logging level [trace, debug, info, warn, error]
      --tty                 Enable TUI interactions such as opening an editor. Defaults to true when stdout is a terminal. Set to false for automation.
  -v, --version             version for limactl
  -y, --yes                 Alias of --tty=false
`;
}
