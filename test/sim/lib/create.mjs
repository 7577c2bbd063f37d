// create / start (cmd/limactl/start.go, pkg/instance/{create,start}.go, the host agent); texts follow
// cmd/limactl/start.go and pkg/instance.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { bootGuest } from '../guest/system.mjs';
import { argsError } from './cli.mjs';
import { embedBases } from './embed.mjs';
import { prepareGuest, spawnSshd } from './guest-sshd.mjs';
import {
  chooseSshPort,
  ensureUserKey,
  killInstanceProcesses,
  startControlMaster,
  startSocketForward,
  waitForSsh,
  writeSshConfig,
} from './hostagent.mjs';
import { err, info, LimaError, warn } from './log.mjs';
import { isAlive } from './procs.mjs';
import { effectiveConfig, inspect, instanceDir, limaDir, sim, validateConfig } from './store.mjs';
import { validateInstName } from './util.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stand-in for template:default (the real one embeds template:_images/ubuntu and _default/mounts). */
export const DEFAULT_TEMPLATE = `# Fake template:default of the simulated Mac (test/sim).
minimumLimaVersion: 2.0.0
images:
- location: "https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-arm64.img"
  arch: "aarch64"
mounts:
- location: "~"
`;

/** The edit flags of create/start/edit/restart (editflags.go): accepted, but not simulated. */
export const editFlagSpec = {
  cpus: { type: 'int' },
  memory: { type: 'float' },
  disk: { type: 'float' },
  mount: { type: 'string', repeat: true },
  'mount-type': { type: 'string' },
  'mount-writable': { type: 'bool' },
  'vm-type': { type: 'string' },
  network: { type: 'string', repeat: true },
  set: { type: 'string', repeat: true },
};

export function refuseEditFlags(command, changed) {
  const used = Object.keys(editFlagSpec).filter((f) => changed.has(f));
  if (used.length > 0) {
    throw new LimaError(
      `fake limactl: \`limactl ${command} --${used[0]}\` is not implemented by the simulator`,
    );
  }
}

/**
 * With a TTY, create/start/edit open menus or an editor; the fake refuses loudly instead (exit 2). In
 * strict mode (the sim's default) it also refuses when --tty=false (or --yes) was not passed at all.
 */
export function requireNonInteractive(ctx, command, { stdinTemplate = false } = {}) {
  if (stdinTemplate && !ctx.ttyExplicitlyTrue) return;
  if (ctx.tty) {
    throw new LimaError(`fake limactl: interactive menu; pass --tty=false (\`limactl ${command}\`)`, 2);
  }
  if (sim().strictTty && !ctx.nonInteractiveRequested) {
    throw new LimaError(
      `fake limactl: \`limactl ${command}\` without --tty=false: real limactl opens a menu or editor when run from a terminal (strict mode of test/sim)`,
      2,
    );
  }
}

function readStdin() {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** loadOrCreateInstance (cmd/limactl/start.go). Returns the instance name. */
function loadOrCreate(ctx, arg, nameFlag, createOnly) {
  const q = ctx.q;
  if (nameFlag) {
    const bad = validateInstName(nameFlag);
    if (bad) throw new LimaError(`instance name ${q(nameFlag)} is not a valid identifier: ${bad}`);
  }
  let name;
  let bytes;
  let source;
  if (arg === '-') {
    if (!nameFlag) {
      throw new LimaError('must pass instance name with --name when reading template from stdin');
    }
    name = nameFlag;
    bytes = readStdin();
  } else if (arg === '' || validateInstName(arg) === undefined) {
    name = arg === '' ? nameFlag || 'default' : arg;
    if (arg !== '' && nameFlag && nameFlag !== arg) {
      throw new LimaError(
        `instance name ${q(arg)} and CLI flag --name=${q(nameFlag)} cannot be specified together`,
      );
    }
    const existing = inspect(name);
    if (existing) {
      if (existing.errors.length > 0) warn(`Instance "${name}" has configuration errors`);
      if (!existing.config) {
        throw new LimaError(`instance "${name}" has configuration errors: ${existing.errors.join('\n')}`);
      }
      if (createOnly) throw new LimaError(`instance ${q(name)} already exists`);
      info(`Using the existing instance ${q(name)}`);
      return name;
    }
    if (arg !== '' && arg !== 'default') {
      info(`Creating an instance ${q(name)} from template:default (Not from template:${name})`);
      warn(`This form is deprecated. Use \`limactl create --name=${name} template:default\` instead`);
    }
    bytes = Buffer.from(DEFAULT_TEMPLATE);
  } else if (arg.startsWith('template:')) {
    if (arg !== 'template:default') {
      throw new LimaError(`fake limactl: only template:default is available, not ${arg}`);
    }
    name = nameFlag || 'default';
    bytes = Buffer.from(DEFAULT_TEMPLATE);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || arg.startsWith('github:')) {
    throw new LimaError(`fake limactl: remote templates are not supported (${arg})`);
  } else {
    const file = path.resolve(arg);
    source = file;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new LimaError(`open ${file}: no such file or directory`);
    }
    name = nameFlag || path.basename(file).replace(/\.ya?ml$/i, '');
    const bad = validateInstName(name);
    if (bad) throw new LimaError(`instance name ${q(name)} is not a valid identifier: ${bad}`);
    if (createOnly && inspect(name)) throw new LimaError(`instance ${q(name)} already exists`);
  }
  info('Terminal is not available, proceeding without opening an editor');
  createInstance(ctx, name, bytes, source);
  return name;
}

/**
 * tmpl.Embed, then instance.Create: validate, then lima.yaml and lima-version. The bytes are stored as they
 * are (comments kept) unless the template has a `base:` chain, which is merged in and re-printed.
 */
function createInstance(ctx, name, given, source) {
  const q = ctx.q;
  if (given.length === 0) throw new LimaError('got empty instConfig');
  const embedded = embedBases(given.toString('utf8'), {
    file: source,
    defaultTemplate: DEFAULT_TEMPLATE,
    limaHome: limaDir(),
    q,
  });
  const bytes = embedded === undefined ? given : Buffer.from(embedded);
  const dir = instanceDir(name);
  const longest = path.join(dir, 'ssh.sock.1234567890123456');
  if (longest.length >= 104) {
    throw new LimaError(
      `instance name ${q(name)} too long: ${q(longest)} must be less than UNIX_PATH_MAX=104 characters, but is ${longest.length}`,
    );
  }
  if (existsSync(dir)) throw new LimaError(`instance ${q(name)} already exists (${q(dir)})`);
  const file = path.join(dir, 'lima.yaml');
  let y;
  try {
    y = parseYaml(bytes.toString('utf8')) ?? {};
  } catch (error) {
    throw new LimaError(`failed to unmarshal YAML (${file}): ${error.message}`);
  }
  const problems = validateConfig(y);
  if (problems.length > 0) throw new LimaError(problems.join('\n'));
  try {
    effectiveConfig(name, dir, y);
  } catch (error) {
    throw new LimaError(error.message);
  }
  ensureUserKey();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, bytes, { mode: 0o644 });
  writeFileSync(path.join(dir, 'lima-version'), ctx.version, { mode: 0o444 });
  chmodSync(path.join(dir, 'lima-version'), 0o444);
}

const startSpec = {
  name: { type: 'string', def: '' },
  foreground: { type: 'bool', def: false },
  timeout: { type: 'duration', def: 600_000 },
  progress: { type: 'bool', def: false },
  ...editFlagSpec,
};

export async function createCommand(ctx, args) {
  const { flags, changed, positionals } = ctx.parse(args, { ...startSpec });
  if (positionals.length > 1) {
    throw argsError(
      'create',
      'create FILE.yaml|URL [flags]',
      'Create an instance of Lima',
      `accepts at most 1 arg(s), received ${positionals.length}`,
    );
  }
  requireNonInteractive(ctx, 'create', { stdinTemplate: positionals[0] === '-' });
  refuseEditFlags('create', changed);
  const name = loadOrCreate(ctx, positionals[0] ?? '', flags.name, true);
  info(`Run \`limactl start ${name}\` to start the instance.`);
}

export async function startCommand(ctx, args) {
  const { flags, changed, positionals } = ctx.parse(args, { ...startSpec });
  if (positionals.length > 1) {
    throw argsError(
      'start',
      'start NAME|FILE.yaml|URL [flags]',
      'Start an instance of Lima',
      `accepts at most 1 arg(s), received ${positionals.length}`,
    );
  }
  requireNonInteractive(ctx, 'start', { stdinTemplate: positionals[0] === '-' });
  refuseEditFlags('start', changed);
  const name = loadOrCreate(ctx, positionals[0] ?? '', flags.name, false);
  await startInstance(ctx, name, { timeoutMs: flags.timeout, foreground: flags.foreground });
}

const shellCmdFor = (name) => (name === 'default' ? 'lima' : `limactl shell ${name}`);

/** startAction + instance.Start + the host agent, with sshd as the VM. */
export async function startInstance(
  ctx,
  name,
  { timeoutMs = 600_000, foreground = false, launchingShell = false } = {},
) {
  const q = ctx.q;
  const inst = inspect(name);
  if (!inst) throw new LimaError(`instance ${q(name)} does not exist`);
  if (inst.errors.length > 0 && inst.status !== 'Broken') {
    throw new LimaError(`errors inspecting instance: [${inst.errors.join(' ')}]`);
  }
  if (inst.status === 'Running') {
    info(`The instance ${q(name)} is already running. Run \`${shellCmdFor(name)}\` to open the shell.`);
    return;
  }
  if (inst.status !== 'Stopped') warn(`expected status ${q('Stopped')}, got ${q(inst.status)}`);
  const dir = inst.dir;
  const haPid = path.join(dir, 'ha.pid');
  if (existsSync(haPid)) {
    throw new LimaError(
      `instance ${q(name)} seems running (hint: remove ${q(haPid)} if the instance is not actually running)`,
    );
  }
  info(`Starting the instance ${q(name)} with internal VM driver ${q(inst.config.vmType)}`);
  const guest = prepareGuest(dir);
  // The first start makes the disk from the images; a NixOS guest boots its default system.
  const unhealthy = bootGuest({
    root: sim().guestRoot,
    instanceDir: dir,
    images: inst.config.images,
    arch: inst.config.arch,
    limaVersion: ctx.version,
  });
  const hang = process.env.FAKE_LIMACTL_START_HANG === '1';
  let port = 0;
  let pid = 0;
  for (let attempt = 1; ; attempt++) {
    port = await chooseSshPort(name, dir, inst.config);
    pid = spawnSshd(dir, guest, port, inst.config.env, inst.config.user?.shell);
    writeFileSync(haPid, `${pid}\n`);
    writeFileSync(path.join(dir, `${inst.config.vmType}.pid`), `${pid}\n`);
    writeSshConfig(name, dir, port);
    info(`SSH Local Port: ${port}`);
    if (hang) {
      // Test hook: the VM never becomes ready. Like Lima, give up after --timeout and leave it running.
      await sleep(timeoutMs > 0 ? timeoutMs : 2 ** 31 - 1);
      throw new LimaError('did not receive an event with the `running` status');
    }
    try {
      await waitForSsh(name, dir, pid, port, timeoutMs > 0 ? Math.min(timeoutMs, 30_000) : 30_000);
      break;
    } catch (error) {
      await killInstanceProcesses(dir);
      // Someone may have taken the free port between the check and sshd's bind: try another one.
      if (!error.sshdExited || attempt >= 3 || Number(inst.config.ssh?.localPort) > 0) throw error;
    }
  }
  if (!startControlMaster(dir, port)) warn('failed to start the SSH ControlMaster');
  for (const rule of inst.config.portForwards ?? []) {
    if (rule.guestSocket && rule.hostSocket && rule.ignore !== true) {
      startSocketForward(dir, port, rule);
    }
  }
  if (unhealthy) warn(`Waiting for the essential requirement: ${unhealthy}`);
  if (process.env.FAKE_LIMACTL_START_DEGRADED === '1' || unhealthy) {
    const log = path.join(dir, 'ha.stderr.log');
    warn(
      `DEGRADED. The VM seems running, but file sharing and port forwarding may not work. (hint: see ${q(log)})`,
    );
    throw new LimaError(
      `degraded, status={Running:true Degraded:true Exiting:false Errors:[] SSHLocalPort:${port}}`,
    );
  }
  if (!launchingShell) info(`READY. Run \`${shellCmdFor(name)}\` to open the shell.`);
  if (inst.message) {
    info(`Message from the instance ${q(name)}:`);
    err(`${inst.message.replace(/\n$/, '')}\n`);
  }
  if (foreground) await runForeground(dir, pid);
}

/** --foreground: stay until the VM is gone; a signal stops it, as it would stop the host agent. */
async function runForeground(dir, pid) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await killInstanceProcesses(dir);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  while (isAlive(pid)) await sleep(200);
}
