// `limactl shell` (cmd/limactl/shell.go): flags only before the instance name, a login-shell remote script,
// ssh with Lima's options (not ssh.config), and the remote exit status passed through.
import { spawn } from 'node:child_process';
import { guestShell } from '../guest/system.mjs';
import { startInstance } from './create.mjs';
import { sshOptions } from './hostagent.mjs';
import { LimaError, error as logError, warn } from './log.mjs';
import { inspect, sim } from './store.mjs';
import { shellQuote } from './util.mjs';

const shellSpec = {
  instance: { type: 'string', def: '' },
  shell: { type: 'string', def: '' },
  workdir: { type: 'string', def: '' },
  reconnect: { type: 'bool', def: false },
  'preserve-env': { type: 'bool', def: false },
  start: { type: 'bool', def: false },
  sync: { type: 'string', def: '' },
};

const within = (dir, p) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export async function shellCommand(ctx, argv) {
  // SetInterspersed(false): `limactl shell default --workdir /x` runs `--workdir` as the command.
  const { flags, changed, positionals } = ctx.parse(argv, { ...shellSpec }, { interspersed: false });
  const q = ctx.q;
  let args = positionals;
  if (flags.instance) {
    // v2.1.0+: with the hidden --instance (the `lima` wrapper), every positional is the command.
    args = [flags.instance, ...positionals];
  } else {
    if (args.length === 0) throw new LimaError('requires instance name as first argument');
    if (args.length >= 2 && args[1] === '--') args = [args[0], ...args.slice(2)];
  }
  const name = args[0];
  if (args.length >= 2 && ['create', 'start', 'delete', 'shell'].includes(args[1])) {
    warn(`Perhaps you meant \`limactl ${args.slice(1).join(' ')}\`?`);
  }
  let inst = inspect(name);
  if (!inst) {
    throw new LimaError(
      `instance ${q(name)} does not exist, run \`limactl create ${name}\` to create a new instance`,
    );
  }
  if (inst.errors.length > 0) {
    logError(`Instance ${q(name)} has configuration errors`, { error: inst.errors.join('\n') });
  }
  if (!inst.config) throw new LimaError(`instance ${q(name)} has no configuration`);
  if (inst.status === 'Stopped') {
    if (ctx.tty && !changed.has('start')) {
      throw new LimaError(
        'fake limactl: interactive prompt "Do you want to start the instance now?"; pass --tty=false',
        2,
      );
    }
    if (!flags.start) {
      throw new LimaError(
        `instance ${q(name)} is stopped, run \`limactl start ${name}\` to start the instance`,
      );
    }
    await startInstance(ctx, name, { launchingShell: true });
    inst = inspect(name);
  }
  if (flags.sync || flags['preserve-env'] || flags.reconnect) {
    throw new LimaError(
      'fake limactl: --sync, --preserve-env and --reconnect are not implemented by the simulator',
    );
  }

  const cwd = process.cwd();
  const home = sim().home;
  const mounted = (p) =>
    (inst.config.mounts ?? []).some((m) => typeof m.location === 'string' && within(m.location, p));
  let changeDir;
  if (flags.workdir) changeDir = `cd ${shellQuote(flags.workdir)} || exit 1`;
  else if (mounted(cwd)) changeDir = `cd ${shellQuote(cwd)} || cd ${shellQuote(home)}`;
  else if (mounted(home)) changeDir = `cd ${shellQuote(home)}`;
  // As Lima does: `false`, and the shell stays where sshd put the session, the guest home.
  else changeDir = 'false';

  // Without --shell, the guest user's login shell: sshd set SHELL (`user.shell`, bin/guest-session).
  const shell = flags.shell ? shellQuote(flags.shell) : '"$SHELL"';
  // A guest disk with an os-release (a test's Ubuntu, a nixos-lima image's NixOS) is seen through a namespace.
  const s = sim();
  const os = guestShell(s.guestRoot, {
    FAKE_SIM_GUEST_ROOT: s.guestRoot,
    FAKE_SIM_ROOT: s.root,
    FAKE_SIM_NODE: process.execPath,
  });
  let script = `${changeDir} ; exec ${shell} --login`;
  if (args.length > 1) {
    let parsingEnv = true;
    const quoted = args.slice(1).map((arg) => {
      // isEnv: any argument with a `=` while still at the front is treated as VAR=value (shell.go quirk).
      if (parsingEnv && arg.split('=').length > 1) {
        const eq = arg.indexOf('=');
        return `${arg.slice(0, eq)}=${shellQuote(arg.slice(eq + 1))}`;
      }
      parsingEnv = false;
      return shellQuote(arg);
    });
    script += ` -c ${shellQuote(`${os?.prelude ?? ''}${quoted.join(' ')}`)}`;
  }
  if (os) script = os.wrap(script);

  const [sshExe = 'ssh', ...sshPre] = (process.env.SSH || 'ssh').split(/\s+/).filter(Boolean);
  const sshArgs = [...sshPre, '-F', '/dev/null', ...sshOptions(inst.dir).flatMap((o) => ['-o', o])];
  if (process.stdout.isTTY) sshArgs.push('-t');
  if (process.env.COLORTERM !== undefined) sshArgs.push('-o', 'SendEnv=COLORTERM');
  sshArgs.push('-o', 'LogLevel=ERROR', '-p', String(inst.sshLocalPort), '127.0.0.1', '--', script);

  const code = await new Promise((resolve, reject) => {
    const child = spawn(sshExe, sshArgs, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(signal ? 255 : (status ?? 255)));
  });
  // osutil.HandleExitError: the remote command's exit status becomes limactl's.
  process.exitCode = code;
}
