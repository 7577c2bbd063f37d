// `limactl list` (cmd/limactl/list.go, pkg/store/instance.go PrintInstances).
import { argsError } from './cli.mjs';
import { LimaError, out, warn } from './log.mjs';
import { brokenInstance, inspect, instanceJson, instanceNames, sim } from './store.mjs';
import { bytesSize, compareVersions } from './util.mjs';

const listSpec = {
  format: { type: 'string', short: 'f', def: 'table' },
  'list-fields': { type: 'bool', def: false },
  json: { type: 'bool', def: false },
  quiet: { type: 'bool', short: 'q', def: false },
  'all-fields': { type: 'bool', def: false },
  yq: { type: 'string', repeat: true },
  filter: { type: 'string', short: 'l', repeat: true },
};

/** Go field names of store.FormatData → JSON keys. */
const GO_FIELDS = {
  Name: 'name',
  Hostname: 'hostname',
  Status: 'status',
  Dir: 'dir',
  VMType: 'vmType',
  Arch: 'arch',
  CPUs: 'cpus',
  Memory: 'memory',
  Disk: 'disk',
  Message: 'message',
  AdditionalDisks: 'additionalDisks',
  Networks: 'network',
  SSHLocalPort: 'sshLocalPort',
  SSHConfigFile: 'sshConfigFile',
  HostAgentPID: 'hostAgentPID',
  DriverPID: 'driverPID',
  Errors: 'errors',
  Config: 'config',
  SSHAddress: 'sshAddress',
  Protected: 'protected',
  LimaVersion: 'limaVersion',
  Param: 'param',
  AutoStartedIdentifier: 'autoStartedIdentifier',
  HostOS: 'HostOS',
  HostArch: 'HostArch',
  LimaHome: 'LimaHome',
  IdentityFile: 'IdentityFile',
};
const ZERO = {
  cpus: 0,
  memory: 0,
  disk: 0,
  sshLocalPort: 0,
  hostAgentPID: 0,
  driverPID: 0,
  protected: false,
};

/** A tiny Go-template subset: `{{.Field}}`, `{{.Config.Key}}`, `{{json .}}`, `{{json .Field}}`. */
function renderTemplate(format, obj) {
  return format.replace(/\{\{-?\s*(json\s+)?\.([\w.]*)\s*-?\}\}|\{\{[^}]*\}\}/g, (whole, json, fieldPath) => {
    if (fieldPath === undefined) {
      throw new LimaError(`fake limactl: template action ${whole} is not implemented`);
    }
    let value = obj;
    const parts = fieldPath === '' ? [] : fieldPath.split('.');
    parts.forEach((part, i) => {
      const key =
        i === 0
          ? GO_FIELDS[part]
          : part === 'CPUs'
            ? 'cpus'
            : part === 'VMType'
              ? 'vmType'
              : part === 'SSH'
                ? 'ssh'
                : part.charAt(0).toLowerCase() + part.slice(1);
      if (i === 0 && key === undefined) {
        throw new LimaError(
          `template: format:1:${format.indexOf(whole) + 3}: executing "format" at <.${part}>: can't evaluate field ${part} in type *store.FormatData`,
        );
      }
      const next = value?.[key];
      value = next === undefined && i === 0 ? (ZERO[key] ?? '') : next;
    });
    if (json) return JSON.stringify(value ?? null);
    if (value === null || value === undefined) return '<no value>';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** text/tabwriter(minwidth 4, tabwidth 8, padding 4, ' '): every column but the last padded. */
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(4, ...rows.map((r) => (r[c] ?? '').length + 4)));
  return rows
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join(''))
    .join('\n');
}

export async function listCommand(ctx, args) {
  const { flags, changed, positionals } = ctx.parse(args, { ...listSpec });
  let format = flags.format;
  if (flags.json) format = 'json';
  if (flags.json && changed.has('format')) {
    throw new LimaError('option --json conflicts with option --format');
  }
  if (flags['list-fields'] && changed.has('format')) {
    throw new LimaError('option --list-fields conflicts with option --format');
  }
  if (flags.quiet && format !== 'table') {
    throw new LimaError("option --quiet can only be used with '--format table'");
  }
  if (flags['list-fields']) {
    out(
      `${Object.keys(GO_FIELDS)
        .filter((f) => !/^(HostOS|HostArch|LimaHome|IdentityFile)$/.test(f))
        .sort()
        .join('\n')}\n`,
    );
    return;
  }
  if (flags.yq.length > 0 || flags.filter.length > 0) {
    throw new LimaError('fake limactl: --yq and --filter are not implemented');
  }
  if (positionals.some((p) => p === '')) {
    throw argsError('list', 'list [flags] [INSTANCE]...', 'List instances of Lima', 'invalid empty argument');
  }

  const all = instanceNames();
  if (positionals.length === 0 && all.length === 0) {
    warn('No instance found. Run `limactl create` to create an instance.');
    return;
  }
  let unmatched = false;
  const names = [];
  if (positionals.length > 0) {
    for (const arg of positionals) {
      if (all.includes(arg)) names.push(arg);
      else {
        warn(`No instance matching ${arg} found.`);
        unmatched = true;
      }
    }
  } else {
    names.push(...all);
  }
  // Since v1.1.0-rc.1 a requested but missing instance is an error (exit 1), after printing the others.
  const unmatchedError = () => {
    if (unmatched && compareVersions(ctx.version, '1.1.0') >= 0) throw new LimaError('unmatched instances');
  };
  if (flags.quiet) {
    out(names.map((n) => `${n}\n`).join(''));
    unmatchedError();
    return;
  }
  const instances = [];
  for (const name of names) {
    const inst = inspect(name);
    if (inst) instances.push(inst);
    else if (compareVersions(ctx.version, '2.2.0') >= 0) instances.push(brokenInstance(name));
    else {
      warn(`Skipping instance ${ctx.q(name)}: no lima.yaml (being cloned or deleted?)`);
      if (positionals.length > 0) unmatched = true;
    }
  }
  for (const inst of instances) {
    if (inst.errors.length > 0) {
      warn(`instance ${ctx.q(inst.name)} has errors`, { errors: `[${inst.errors.join(' ')}]` });
    }
  }
  const objects = instances.map((inst) => instanceJson(inst, ctx.version));
  if (format === 'json') {
    const pretty = process.stdout.isTTY || process.env._LIMA_OUTPUT_IS_TTY === '1';
    out(objects.map((o) => `${pretty ? JSON.stringify(o, null, 4) : JSON.stringify(o)}\n`).join(''));
  } else if (format === 'table') {
    const home = sim().home;
    const rows = [['NAME', 'STATUS', 'SSH', 'VMTYPE', 'ARCH', 'CPUS', 'MEMORY', 'DISK', 'DIR']];
    for (const o of objects) {
      rows.push([
        o.name,
        o.status,
        `${o.sshAddress ?? ''}:${o.sshLocalPort ?? 0}`,
        o.vmType,
        o.arch,
        String(o.cpus ?? 0),
        bytesSize(o.memory ?? 0),
        bytesSize(o.disk ?? 0),
        o.dir.startsWith(home) ? `~${o.dir.slice(home.length)}` : o.dir,
      ]);
    }
    out(`${table(rows)}\n`);
  } else if (format.includes('{{')) {
    out(objects.map((o) => `${renderTemplate(format, o)}\n`).join(''));
  } else {
    throw new LimaError(
      `fake limactl: --format ${format} is not implemented (use json, table or a {{.Field}} template)`,
    );
  }
  unmatchedError();
}
