// The instance store, as pkg/store and pkg/limayaml lay it out: <LIMA_HOME>/<name>/lima.yaml, lima-version,
// ha.pid + vz.pid (status), ssh.config; `_config/{user,default.yaml,override.yaml}`.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readPidFile } from './procs.mjs';
import { compareVersions, hostnameOf, ramInBytes } from './util.mjs';

/** Settings the sandbox wrapper (test/sim/index.ts) passes in the environment. */
export function sim() {
  const home = process.env.HOME || homedir();
  return {
    version: process.env.FAKE_LIMACTL_VERSION || '2.2.0',
    /** The "guest" user name: names the guest home and {{.User}}; ssh always logs in as the OS user. */
    user: process.env.FAKE_SIM_USER || userInfo().username,
    loginUser: userInfo().username,
    uid: userInfo().uid,
    home,
    /** The sandbox root: processes whose command line or environment mention it belong to the sim. */
    root: process.env.FAKE_SIM_ROOT || path.dirname(home),
    guestRoot: process.env.FAKE_SIM_GUEST_ROOT || path.join(path.dirname(home), 'guest'),
    strictTty: process.env.FAKE_LIMACTL_STRICT_TTY === '1',
    sshd: process.env.FAKE_SIM_SSHD || '/usr/sbin/sshd',
  };
}

/** dirnames.LimaDir: $LIMA_HOME or ~/.lima, symlinks resolved when it exists. */
export function limaDir() {
  const dir = process.env.LIMA_HOME || path.join(sim().home, '.lima');
  return existsSync(dir) ? realpathSync(dir) : dir;
}

export const configDir = () => path.join(limaDir(), '_config');
export const instanceDir = (name) => path.join(limaDir(), name);

/** store.Instances: directories not starting with `.` or `_`, sorted (os.ReadDir order). */
export function instanceNames() {
  let entries;
  try {
    entries = readdirSync(limaDir(), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
    .map((e) => e.name)
    .sort();
}

export function readLimaVersion(dir) {
  try {
    return readFileSync(path.join(dir, 'lima-version'), 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The guest home: `/home/<u>.guest` when the instance's lima-version is >= 2.1.0 or unknown, else
 * `/home/<u>.linux` (pkg/osutil/user.go; lima#4577). In the sim it lives under the sandbox's guest root.
 */
export function guestHome(instanceLimaVersion) {
  const { guestRoot, user } = sim();
  const old = instanceLimaVersion !== '' && compareVersions(instanceLimaVersion, '2.1.0') < 0;
  return path.join(guestRoot, 'home', `${user}${old ? '.linux' : '.guest'}`);
}

const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Merge the layers, highest priority first: scalars from the first that sets them, maps merged key by
 * key, lists concatenated (override, lima.yaml, default.yaml — templates/default.yaml, end of file).
 */
export function mergeLayers(layers) {
  const present = layers.filter((v) => v !== undefined && v !== null);
  if (present.length === 0) return layers.length > 0 ? null : undefined;
  if (present.every(Array.isArray)) return present.flat(1);
  if (isMap(present[0])) {
    const maps = present.filter(isMap);
    const keys = [...new Set(maps.toReversed().flatMap((m) => Object.keys(m)))];
    return Object.fromEntries(keys.map((k) => [k, mergeLayers(maps.map((m) => m[k]))]));
  }
  return present[0];
}

/** Go-template fields such as `{{.Home}}`, `{{ .Param.Key }}`. Unknown fields fail when `strict`. */
export function expandTemplate(text, vars, { strict = true, field = 'template' } = {}) {
  if (typeof text !== 'string') return text;
  return text.replace(/\{\{-?\s*\.([A-Za-z]\w*)(?:\.(\w+))?\s*-?\}\}/g, (whole, key, sub) => {
    const value = sub === undefined ? vars[key] : vars[key]?.[sub];
    if (value === undefined || typeof value === 'object') {
      if (strict) throw new Error(`${field}: can't evaluate field ${sub ?? key} in ${whole}`);
      return whole;
    }
    return String(value);
  });
}

function readYamlFile(file) {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The effective config (defaults, default.yaml, override.yaml, templates) shown as `.config` by list. */
export function effectiveConfig(name, dir, y) {
  const s = sim();
  const gHome = guestHome(readLimaVersion(dir));
  const params = isMap(y.param) ? y.param : {};
  const hostVars = {
    Home: s.home,
    Dir: dir,
    Name: name,
    UID: s.uid,
    User: s.user,
    Param: params,
    GlobalTempDir: '/tmp',
    TempDir: tmpdir(),
    Instance: name,
    LimaHome: limaDir(),
  };
  const guestVars = {
    Home: gHome,
    Name: name,
    Hostname: hostnameOf(name),
    UID: s.uid,
    User: s.user,
    Param: params,
  };
  const builtin = {
    vmType: 'vz',
    os: 'Linux',
    arch: 'aarch64',
    cpus: 4,
    memory: '4GiB',
    disk: '100GiB',
    mountType: 'virtiofs',
    mountInotify: false,
    ssh: {
      localPort: 0,
      loadDotSSHPubKeys: false,
      forwardAgent: false,
      forwardX11: false,
      forwardX11Trusted: false,
    },
    containerd: { system: false, user: true },
    hostResolver: { enabled: true, ipv6: false },
    propagateProxyEnv: true,
    plain: false,
    user: { name: s.user, comment: s.user, home: gHome, shell: '/bin/bash', uid: s.uid },
  };
  const config = mergeLayers([
    readYamlFile(path.join(configDir(), 'override.yaml')),
    y,
    readYamlFile(path.join(configDir(), 'default.yaml')),
  ]);
  const merged = mergeLayers([config, builtin]);
  // The sim's guest home is fixed (it must stay inside the sandbox), whatever user.home says.
  merged.user.home = gHome;
  if (Array.isArray(merged.mounts)) {
    merged.mounts = merged.mounts.map((m, i) => {
      const field = `mounts[${i}]`;
      let location = expandTemplate(m?.location, hostVars, { field });
      if (typeof location === 'string' && location.startsWith('~')) location = s.home + location.slice(1);
      const mountPoint =
        m?.mountPoint == null ? location : expandTemplate(m.mountPoint, guestVars, { field });
      return { ...m, location, mountPoint, writable: m?.writable ?? false };
    });
  }
  if (Array.isArray(merged.portForwards)) {
    merged.portForwards = merged.portForwards.map((r, i) => {
      const field = `portForwards[${i}]`;
      const rule = { guestIP: '127.0.0.1', hostIP: '127.0.0.1', proto: 'any', reverse: false, ...r };
      if (typeof rule.guestSocket === 'string') {
        rule.guestSocket = expandTemplate(rule.guestSocket, guestVars, { field });
      }
      if (typeof rule.hostSocket === 'string') {
        rule.hostSocket = expandTemplate(rule.hostSocket, hostVars, { field });
        // A relative hostSocket lives in {{.Dir}}/sock/ (pkg/limayaml/defaults.go).
        if (rule.hostSocket !== '' && !path.isAbsolute(rule.hostSocket)) {
          rule.hostSocket = path.join(dir, 'sock', rule.hostSocket);
        }
      }
      return rule;
    });
  }
  if (Array.isArray(merged.provision)) {
    merged.provision = merged.provision.map((p) =>
      isMap(p) ? { mode: 'system', ...p, script: expandTemplate(p.script, guestVars, { strict: false }) } : p,
    );
  }
  return merged;
}

/** Minimal limayaml.Validate; returns a list of problems (empty when valid). */
export function validateConfig(y) {
  const problems = [];
  if (!isMap(y)) return ['the YAML document must be a mapping'];
  if (y.cpus != null && !(Number.isInteger(y.cpus) && y.cpus > 0)) problems.push('field `cpus` must be set');
  for (const key of ['memory', 'disk']) {
    if (y[key] == null) continue;
    try {
      ramInBytes(y[key]);
    } catch (error) {
      problems.push(`field \`${key}\` has an invalid value: ${error.message}`);
    }
  }
  if (y.mounts != null && !Array.isArray(y.mounts)) problems.push('field `mounts` must be a list');
  (Array.isArray(y.mounts) ? y.mounts : []).forEach((m, i) => {
    if (!isMap(m) || typeof m.location !== 'string') {
      problems.push(`field \`mounts[${i}].location\` must be a string`);
    } else if (!path.isAbsolute(m.location) && !m.location.startsWith('~') && !m.location.startsWith('{{')) {
      problems.push(`field \`mounts[${i}].location\` must be an absolute path, got \`${m.location}\``);
    }
    // validate.go: the mount point (the location itself when unset) may not cover a system folder.
    const mountPoint = isMap(m) ? (m.mountPoint ?? m.location) : undefined;
    if (
      ['/', '/bin', '/dev', '/etc', '/home', '/opt', '/sbin', '/tmp', '/usr', '/var'].includes(mountPoint)
    ) {
      problems.push(`field \`mounts[${i}].mountPoint\` must not be a system path such as /etc or /usr`);
    }
  });
  // validate.go validatePort: 22 is refused for ssh.localPort and for either side of a forward.
  if (isMap(y.ssh) && y.ssh.localPort === 22) problems.push('field `ssh.localPort` must not be 22');
  // pkg/limayaml/validate.go: every image needs a location; a digest is `<algorithm>:<hex>`.
  (Array.isArray(y.images) ? y.images : []).forEach((image, i) => {
    if (!isMap(image) || typeof image.location !== 'string' || image.location === '') {
      problems.push(`field \`images[${i}].location\` must be set`);
    } else if (image.digest != null && !/^(sha256|sha512):[0-9a-f]+$/.test(String(image.digest))) {
      problems.push(`field \`images[${i}].digest\` is invalid: ${image.digest}`);
    }
  });
  if (y.portForwards != null && !Array.isArray(y.portForwards)) {
    problems.push('field `portForwards` must be a list');
  }
  (Array.isArray(y.portForwards) ? y.portForwards : []).forEach((r, i) => {
    const field = `portForwards[${i}]`;
    if (!isMap(r)) {
      problems.push(`field \`${field}\` must be a mapping`);
      return;
    }
    if (r.guestSocket != null && (typeof r.guestSocket !== 'string' || !r.guestSocket.startsWith('/'))) {
      if (!String(r.guestSocket).startsWith('{{')) {
        problems.push(`field \`${field}.guestSocket\` must be an absolute path, but is \`${r.guestSocket}\``);
      }
    }
    for (const side of ['guestPort', 'hostPort']) {
      if (r[side] === 22) problems.push(`field \`${field}.${side}\` must not be 22`);
    }
    if (r.reverse === true && !r.guestSocket) problems.push(`field \`${field}.reverse\` must be false`);
    if (r.reverse === true && !r.hostSocket) problems.push(`field \`${field}.reverse\` must be false`);
  });
  return problems;
}

/** Read and minimally validate <dir>/lima.yaml; throws ENOENT when it is missing. */
export function loadInstanceYaml(dir) {
  const text = readFileSync(path.join(dir, 'lima.yaml'), 'utf8');
  const y = parseYaml(text) ?? {};
  const problems = validateConfig(y);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return y;
}

function sshPortFromConfig(dir) {
  try {
    const text = readFileSync(path.join(dir, 'ssh.config'), 'utf8');
    const m = /^\s*Port (\d+)\s*$/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * store.Inspect: undefined when the instance does not exist (no lima.yaml); otherwise the instance with
 * its status from the PID files (pkg/store/instance.go, inspectStatusWithPIDFiles).
 */
export function inspect(name) {
  const dir = instanceDir(name);
  const inst = {
    name,
    hostname: hostnameOf(name),
    status: '',
    dir,
    errors: [],
    limaVersion: readLimaVersion(dir),
  };
  let y;
  try {
    y = loadInstanceYaml(dir);
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    inst.errors.push(error.message);
    inst.status = 'Broken';
    return inst;
  }
  try {
    inst.config = effectiveConfig(name, dir, y);
  } catch (error) {
    inst.errors.push(error.message);
    inst.status = 'Broken';
    return inst;
  }
  const c = inst.config;
  inst.vmType = c.vmType;
  inst.arch = c.arch;
  inst.cpus = c.cpus;
  inst.memory = safeBytes(c.memory);
  inst.disk = safeBytes(c.disk);
  inst.sshAddress = '127.0.0.1';
  inst.sshConfigFile = path.join(dir, 'ssh.config');
  inst.sshLocalPort = Number(c.ssh?.localPort) || sshPortFromConfig(dir);
  inst.hostAgentPID = readPidFile(path.join(dir, 'ha.pid'));
  inst.driverPID = readPidFile(path.join(dir, `${c.vmType}.pid`));
  if (inst.hostAgentPID && inst.driverPID) inst.status = 'Running';
  else if (!inst.hostAgentPID && !inst.driverPID) inst.status = 'Stopped';
  else {
    inst.status = 'Broken';
    inst.errors.push(
      inst.hostAgentPID
        ? 'host agent is running but driver is not'
        : `${c.vmType} driver is running but host agent is not`,
    );
  }
  inst.protected = existsSync(path.join(dir, 'protected'));
  if (typeof c.message === 'string') {
    inst.message = expandTemplate(
      c.message,
      { Name: name, Dir: dir, Hostname: inst.hostname },
      { strict: false },
    );
  }
  if (isMap(y.param)) inst.param = y.param;
  return inst;
}

function safeBytes(size) {
  try {
    return ramInBytes(size);
  } catch {
    return 0;
  }
}

/** A directory without lima.yaml: listed as Broken since v2.2.0-rc.0 (brokenInstance in list.go). */
export function brokenInstance(name) {
  const dir = instanceDir(name);
  return {
    name,
    hostname: '',
    status: 'Broken',
    dir,
    errors: [`open ${path.join(dir, 'lima.yaml')}: no such file or directory`],
    limaVersion: '',
  };
}

const dropEmptyMaps = (v) => {
  if (Array.isArray(v)) return v.map(dropEmptyMaps);
  if (!isMap(v)) return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    const y = dropEmptyMaps(x);
    if (!(isMap(y) && Object.keys(y).length === 0)) out[k] = y;
  }
  return out;
};

/** The JSON object `limactl list --json` prints: limatype.Instance field order, omitempty, FormatData extras. */
export function instanceJson(inst, version) {
  const o = {
    name: inst.name,
    hostname: inst.hostname,
    status: inst.status,
    dir: inst.dir,
    vmType: inst.vmType ?? '',
    arch: inst.arch ?? '',
  };
  const omitEmpty = {
    cpus: inst.cpus,
    memory: inst.memory,
    disk: inst.disk,
    message: inst.message,
    sshLocalPort: inst.sshLocalPort,
    sshConfigFile: inst.sshConfigFile,
    hostAgentPID: inst.hostAgentPID,
    driverPID: inst.driverPID,
    errors: inst.errors?.length ? inst.errors : undefined,
    config: inst.config,
    sshAddress: inst.sshAddress,
  };
  for (const [k, v] of Object.entries(omitEmpty)) if (v !== undefined && v !== 0 && v !== '') o[k] = v;
  o.protected = inst.protected ?? false;
  o.limaVersion = inst.limaVersion ?? '';
  if (inst.param && Object.keys(inst.param).length > 0) o.param = inst.param;
  // Deprecated FormatData fields (pkg/store/instance.go), still printed.
  o.HostOS = 'darwin';
  o.HostArch = 'aarch64';
  o.LimaHome = limaDir();
  o.IdentityFile = path.join(configDir(), 'user');
  // v2.x pipes the JSON through yq, which deletes empty maps (cmd/limactl/list.go).
  return compareVersions(version, '2.0.0') >= 0 ? dropEmptyMaps(o) : o;
}
