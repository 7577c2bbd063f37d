// `limactl autostart enable|disable` (Lima ≥ 2.2) and `limactl start-at-login [--enabled]` (0.21 on, deprecated
// in 2.2), as cmd/limactl/autostart_darwin.go, start-at-login_unix.go and pkg/autostart do them on macOS: write
// ~/Library/LaunchAgents/io.lima-vm.autostart.<inst>.plist from Lima's template and run
// `launchctl enable gui/<uid>/<label>` (through the sandbox's fake launchctl). The VM is not started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { argsError } from './cli.mjs';
import { goQuote, info, LimaError, out, warn } from './log.mjs';
import { instanceDir, sim } from './store.mjs';
import { compareVersions } from './util.mjs';

const labelOf = (name) => `io.lima-vm.autostart.${name}`;
const plistPath = (name) => path.join(sim().home, 'Library', 'LaunchAgents', `${labelOf(name)}.plist`);

/** pkg/autostart/io.lima-vm.autostart.INSTANCE.plist (no KeepAlive, no EnvironmentVariables). */
function renderPlist(binary, name, workDir) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>${labelOf(name)}</string>
\t<key>ProgramArguments</key>
\t<array>
\t\t<string>${binary}</string>
\t\t<string>start</string>
\t\t<string>${name}</string>
\t\t<string>--foreground</string>
\t</array>
\t<key>RunAtLoad</key>
\t<true/>
\t<key>StandardErrorPath</key>
\t<string>launchd.stderr.log</string>
\t<key>StandardOutPath</key>
\t<string>launchd.stdout.log</string>
\t<key>WorkingDirectory</key>
\t<string>${workDir}</string>
\t<key>ProcessType</key>
\t<string>Background</string>
</dict>
</plist>`;
}

/** os.Executable(): the path limactl was started by (the sandbox wrapper passes its own $0). */
function executable() {
  return process.env.FAKE_LIMACTL_EXE || process.argv[1];
}

/** `launchctl enable|disable gui/<uid>/<label>`, output passed through; returns Go's error text or undefined. */
function launchctl(action, name) {
  const result = spawnSync('launchctl', [action, `gui/${process.getuid()}/${labelOf(name)}`], {
    stdio: 'inherit',
  });
  if (result.error)
    return `exec: "launchctl": ${result.error.code === 'ENOENT' ? 'executable file not found in $PATH' : result.error.message}`;
  return result.status === 0 ? undefined : `exit status ${result.status}`;
}

/** RegisterToStartAtLogin: the file (0644, folder made if missing), then `launchctl enable`. */
function register(name) {
  const file = plistPath(name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderPlist(executable(), name, instanceDir(name)), { mode: 0o644 });
  return launchctl('enable', name);
}

export async function autostartCommand(ctx, args) {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out(
      'Manage automatic startup of Lima instances\n\nUsage:\n  limactl autostart [command]\n\nAvailable Commands:\n  disable     Unregister an instance from automatic startup\n  enable      Register an instance to start automatically\n',
    );
    return;
  }
  if (sub === 'enable') return autostartEnable(ctx, rest);
  if (sub === 'disable') return autostartDisable(ctx, rest);
  throw new LimaError(`unknown command ${JSON.stringify(sub)} for "limactl autostart"`);
}

/** An instance that does not exist is an error here (autostart_darwin.go), unlike start-at-login. */
function inspectOrFail(name) {
  if (!existsSync(instanceDir(name))) throw new LimaError(`instance ${goQuote(name)} not found`);
}

async function autostartEnable(ctx, args) {
  const { flags, positionals } = ctx.parse(args, {
    condition: { type: 'string', def: 'login' },
    user: { type: 'string', def: '' },
  });
  if (positionals.length !== 1) {
    throw argsError(
      'autostart enable',
      'autostart enable INSTANCE [flags]',
      'Register an instance to start automatically',
      `accepts 1 arg(s), received ${positionals.length}`,
    );
  }
  const name = positionals[0];
  inspectOrFail(name);
  if (flags.condition === 'boot') {
    throw new LimaError('fake limactl: `autostart enable --condition=boot` is not simulated (it needs sudo)');
  }
  if (flags.condition !== 'login') {
    throw new LimaError(`unknown condition ${goQuote(flags.condition)}: must be "login" or "boot"`);
  }
  const failed = register(name);
  if (failed) throw new LimaError(`failed to register instance ${ctx.q(name)} to start at login: ${failed}`);
  info(`Instance ${ctx.q(name)} registered to start at login`);
}

async function autostartDisable(ctx, args) {
  const { positionals } = ctx.parse(args, {});
  if (positionals.length !== 1) {
    throw argsError(
      'autostart disable',
      'autostart disable INSTANCE [flags]',
      'Unregister an instance from automatic startup',
      `accepts 1 arg(s), received ${positionals.length}`,
    );
  }
  const name = positionals[0];
  inspectOrFail(name);
  if (!existsSync(plistPath(name))) {
    info(`Instance ${ctx.q(name)} is not registered for automatic startup`);
    return;
  }
  // UnregisterFromStartAtLogin: `launchctl disable`, then remove the file. It does not boot the job out.
  const failed = launchctl('disable', name);
  if (failed) {
    throw new LimaError(
      `failed to unregister instance ${ctx.q(name)} from start at login: failed to disable the autostart entry for instance ${ctx.q(name)}: ${failed}`,
    );
  }
  rmSync(plistPath(name));
  info(`Instance ${ctx.q(name)} unregistered from start at login`);
}

/**
 * `start-at-login [INSTANCE] [--enabled=true|false]`. Before Lima 2.0 (cmd/limactl/start-at-login_unix.go of
 * 1.x) a failure is a warning and the exit is 0; from 2.0 on (pkg/autostart's manager) it is an error, exit 1.
 */
export async function startAtLoginCommand(ctx, args) {
  const { flags, positionals } = ctx.parse(args, { enabled: { type: 'bool', def: true } });
  if (positionals.length > 1) {
    throw argsError(
      'start-at-login',
      'start-at-login INSTANCE [flags]',
      'Register/Unregister an autostart file for the instance',
      `accepts at most 1 arg(s), received ${positionals.length}`,
    );
  }
  const name = positionals[0] ?? 'default';
  if (!existsSync(instanceDir(name))) {
    info(`Instance ${ctx.q(name)} not found`);
    return;
  }
  if (compareVersions(ctx.version, '2.0.0') >= 0) return startAtLogin2(ctx, name, flags.enabled);
  const file = plistPath(name);
  if (flags.enabled) {
    const failed = register(name);
    if (failed) warn(`Can't create an autostart file for instance ${goQuote(name)}`, { error: failed });
    else info(`The autostart file ${goQuote(file)} has been created or updated`);
    return;
  }
  if (!existsSync(file)) {
    // DeleteStartAtLoginEntry stats the file first, and that error is only a warning.
    warn(`The autostart file ${goQuote(name)} could not be deleted`, {
      error: `stat ${file}: no such file or directory`,
    });
    return;
  }
  const failed = launchctl('disable', name);
  if (failed) {
    warn(`The autostart file ${goQuote(name)} could not be deleted`, { error: failed });
    return;
  }
  rmSync(file);
  info(`The autostart file ${goQuote(file)} has been deleted`);
}

/** Lima 2.0–2.2: IsRegistered (the file exists), then Register/UnregisterFromStartAtLogin; errors exit 1. */
function startAtLogin2(ctx, name, enabled) {
  const registered = existsSync(plistPath(name));
  if (enabled) {
    const verb = registered ? 'update' : 'create';
    const failed = register(name);
    if (failed) {
      throw new LimaError(`failed to ${verb} the autostart entry for instance ${ctx.q(name)}: ${failed}`);
    }
    info(`The autostart entry for instance ${ctx.q(name)} has been ${verb}d`);
    return;
  }
  if (!registered) {
    info(`The autostart entry for instance ${ctx.q(name)} is not registered`);
    return;
  }
  const failed = launchctl('disable', name);
  if (failed) {
    throw new LimaError(
      `failed to unregister the autostart entry for instance ${ctx.q(name)}: failed to disable the autostart entry for instance ${ctx.q(name)}: ${failed}`,
    );
  }
  rmSync(plistPath(name));
  info(`The autostart entry for instance ${ctx.q(name)} has been unregistered`);
}
