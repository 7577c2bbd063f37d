#!/usr/bin/env node
// The fake limactl of the simulated Mac (test/sim). It keeps Lima's on-disk state in $LIMA_HOME and runs a
// real sshd per running instance; see test/sim/README.md.
import '../lib/delay.mjs';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { autostartCommand, startAtLoginCommand } from '../lib/autostart.mjs';
import { findSubcommand, GLOBAL_FLAGS, parseFlags } from '../lib/cli.mjs';
import { createCommand, startCommand } from '../lib/create.mjs';
import { injectFault } from '../lib/faults.mjs';
import { listCommand } from '../lib/list.mjs';
import { configureLog, err, fatal, LimaError, out, parseLevel, warn } from '../lib/log.mjs';
import { helpText, infoCommand, validateCommand } from '../lib/misc.mjs';
import { shellCommand } from '../lib/shell.mjs';
import { deleteCommand, editCommand, restartCommand, stopCommand } from '../lib/stop.mjs';
import { limaDir, sim } from '../lib/store.mjs';
import { backquote, compareVersions, nameQuoter } from '../lib/util.mjs';

const COMMANDS = {
  create: createCommand,
  start: startCommand,
  stop: stopCommand,
  restart: restartCommand,
  delete: deleteCommand,
  rm: deleteCommand,
  remove: deleteCommand,
  edit: editCommand,
  shell: shellCommand,
  list: listCommand,
  ls: listCommand,
  validate: validateCommand,
  info: infoCommand,
  autostart: autostartCommand,
  'start-at-login': startAtLoginCommand,
};
/** Real subcommands the simulator does not provide: a clear failure rather than "unknown command". */
const NOT_SIMULATED = [
  'clone',
  'completion',
  'copy',
  'cp',
  'debug',
  'disk',
  'factory-reset',
  'generate-doc',
  'guestagent',
  'hostagent',
  'network',
  'protect',
  'prune',
  'rename',
  'screenshot',
  'show-ssh',
  'snapshot',
  'sudoers',
  'template',
  'tunnel',
  'unprotect',
  'usernet',
  'watch',
];

function logCall(argv) {
  if (process.env.FAKE_LIMACTL_NO_LOG === '1') return;
  const dir = limaDir();
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, '.fake-limactl-calls.log'), `${JSON.stringify(argv)}\n`);
}

async function main(argv) {
  logCall(argv);
  injectFault('limactl', argv);
  const version = sim().version;
  const { index, name } = findSubcommand(argv);
  const rest = index === -1 ? argv : [...argv.slice(0, index), ...argv.slice(index + 1)];
  if (index === -1 || name === 'help') {
    const { flags } = parseFlags(rest, {
      ...GLOBAL_FLAGS,
      version: { type: 'bool', short: 'v', def: false },
      help: { type: 'bool', short: 'h', def: false },
    });
    // cobra's default version template; the root command trims a leading `v` (cmd/limactl/main.go).
    if (flags.version) out(`limactl version ${version.replace(/^v/, '')}\n`);
    else out(helpText());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    if (NOT_SIMULATED.includes(name)) {
      throw new LimaError(`fake limactl: \`limactl ${name}\` is not implemented by the simulator`);
    }
    throw new LimaError(`unknown command ${JSON.stringify(name)} for "limactl"`);
  }
  // Commands newer than the simulated version are unknown to it (restart: 1.1.0; start-at-login: 0.21.0;
  // autostart: 2.2.0, which deprecated start-at-login).
  const since = { restart: '1.1.0', 'start-at-login': '0.21.0', autostart: '2.2.0' }[name];
  if (since && compareVersions(version, since) < 0) {
    throw new LimaError(`unknown command ${JSON.stringify(name)} for "limactl"`);
  }
  if (name === 'start-at-login' && compareVersions(version, '2.2.0') >= 0) {
    // cobra prints a deprecated command's message on stderr before running it.
    err(
      'Command "start-at-login" is deprecated, use "limactl autostart enable" or "limactl autostart disable" instead\n',
    );
  }
  const ctx = {
    version,
    q: nameQuoter(version),
    tty: false,
    ttyExplicitlyTrue: false,
    nonInteractiveRequested: false,
  };
  /** Parse the command's flags plus the persistent ones, then act on the latter (PersistentPreRunE). */
  ctx.parse = (args, spec, options) => {
    const parsed = parseFlags(
      args,
      { ...spec, ...GLOBAL_FLAGS, help: { type: 'bool', short: 'h', def: false } },
      options,
    );
    const { flags, changed } = parsed;
    if (flags.help) {
      out(`fake limactl ${name}: see \`limactl --help\` (test/sim)\n`);
      process.exit(0);
    }
    if (flags['log-format'] !== 'text' && flags['log-format'] !== 'json') {
      throw new LimaError(`unsupported log-format: ${backquote(String(flags['log-format']))}`);
    }
    let level = flags.debug ? 'debug' : 'info';
    try {
      if (flags['log-level']) level = parseLevel(flags['log-level']);
    } catch (error) {
      throw new LimaError(error.message);
    }
    configureLog({ format: flags['log-format'], level });
    if (changed.has('yes') && changed.has('tty')) {
      throw new LimaError('cannot use both --tty and --yes flags at the same time');
    }
    if (changed.has('yes') && ['edit', 'clone', 'rename'].includes(name)) {
      warn(
        '--yes flag is deprecated (--tty=false is still supported and works in the same way. Also consider using --start)',
      );
    }
    ctx.tty = changed.has('tty') ? flags.tty === true : process.stdout.isTTY === true;
    if (changed.has('yes') && flags.yes) ctx.tty = false;
    ctx.ttyExplicitlyTrue = changed.has('tty') && flags.tty === true;
    ctx.nonInteractiveRequested =
      (changed.has('tty') && flags.tty === false) || (changed.has('yes') && flags.yes === true);
    return parsed;
  };
  await command(ctx, rest);
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof LimaError) fatal(error.message, error.exitCode);
  fatal(`fake limactl crashed: ${error?.stack ?? error}`);
});
