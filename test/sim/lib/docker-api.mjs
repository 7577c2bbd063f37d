// A fake Docker Engine API on a unix socket: the daemon of the simulated Mac's Colima. It answers what the
// docker CLI asks for `docker version`, `docker ps` and `docker info` the way dockerd does (moby's
// api/server: the /_ping headers the CLI negotiates the API version from, /vX.Y/ prefixed routes, JSON
// errors `{"message": …}`), and records every request for the tests.
// Usage: node docker-api.mjs <socket> <pid file> <state JSON file> <request log>
// It writes <pid file> once listening, and on SIGTERM closes (removing the socket) and removes it; a
// SIGKILL leaves both behind, as a crashed Colima leaves its socket file.
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';

const [socket, pidFile, stateFile, requestLog] = process.argv.slice(2);
if (!socket || !pidFile || !stateFile || !requestLog) {
  process.stderr.write('usage: docker-api.mjs <socket> <pid file> <state JSON file> <request log>\n');
  process.exit(2);
}

// Docker Engine 27.4 (what a current Colima runs): API 1.47, oldest accepted 1.24.
const API_VERSION = '1.47';
const MIN_API_VERSION = '1.24';
const ENGINE = '27.4.0';

const state = () => JSON.parse(readFileSync(stateFile, 'utf8'));

const compare = (a, b) => {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am === bm ? an - bn : am - bm;
};

const headers = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: `Docker/${ENGINE} (linux)`,
};

function send(res, status, body, extra = {}) {
  const json = typeof body !== 'string';
  const text = json ? `${JSON.stringify(body)}\n` : body;
  res.writeHead(status, {
    ...headers,
    'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function version() {
  return {
    Platform: { Name: 'Docker Engine - Community' },
    Components: [
      {
        Name: 'Engine',
        Version: ENGINE,
        Details: {
          ApiVersion: API_VERSION,
          Arch: 'arm64',
          GitCommit: '92a8393',
          GoVersion: 'go1.22.10',
          KernelVersion: '6.8.0-50-generic',
          BuildTime: '2024-12-16T14:00:00.000000000+00:00',
          Experimental: 'false',
          MinAPIVersion: MIN_API_VERSION,
          Os: 'linux',
        },
      },
    ],
    Version: ENGINE,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '92a8393',
    GoVersion: 'go1.22.10',
    Os: 'linux',
    Arch: 'arm64',
    KernelVersion: '6.8.0-50-generic',
    BuildTime: '2024-12-16T14:00:00.000000000+00:00',
  };
}

function containers(all) {
  const list = state().containers ?? [];
  return list
    .filter((c) => all || (c.State ?? 'running') === 'running')
    .map((c, i) => ({
      Id: c.Id ?? `${String(i + 1).padStart(2, '0')}c0ffee`.padEnd(64, '0'),
      Names: [`/${c.Name}`],
      Image: c.Image,
      ImageID: `sha256:${'ab'.repeat(32)}`,
      Command: c.Command ?? 'sleep infinity',
      Created: c.Created ?? 1_735_000_000,
      Ports: [],
      Labels: {},
      State: c.State ?? 'running',
      Status: c.Status ?? 'Up 2 hours',
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    }));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://docker');
  appendFileSync(
    requestLog,
    `${JSON.stringify({ method: req.method, path: url.pathname, userAgent: req.headers['user-agent'] ?? '' })}\n`,
  );
  // /v1.47/containers/json → version 1.47, route /containers/json (api/server/router: versioned paths).
  const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
  const route = versioned ? versioned[2] : url.pathname;
  if (versioned) {
    const asked = versioned[1];
    if (compare(asked, API_VERSION) > 0) {
      return send(res, 400, {
        message: `client version ${asked} is too new. Maximum supported API version is ${API_VERSION}`,
      });
    }
    if (compare(asked, MIN_API_VERSION) < 0) {
      return send(res, 400, {
        message: `client version ${asked} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      });
    }
  }
  if (route === '/_ping' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, 'OK', {
      'Builder-Version': '2',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      Swarm: 'inactive',
    });
  }
  if (req.method !== 'GET') return send(res, 404, { message: 'page not found' });
  if (route === '/version') return send(res, 200, version());
  if (route === '/containers/json') {
    return send(res, 200, containers(['1', 'true'].includes(url.searchParams.get('all') ?? '')));
  }
  if (route === '/info') {
    const list = state().containers ?? [];
    return send(res, 200, {
      ID: 'COLI:MAFA:KEDA:EMON',
      Containers: list.length,
      ContainersRunning: list.filter((c) => (c.State ?? 'running') === 'running').length,
      Name: 'colima',
      ServerVersion: ENGINE,
      OperatingSystem: 'Ubuntu 24.04.1 LTS',
      OSType: 'linux',
      Architecture: 'aarch64',
    });
  }
  return send(res, 404, { message: 'page not found' });
});

let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  // Node removes the socket file when a unix-socket server closes; a stopped Colima removes it too.
  server.close(() => {
    rmSync(pidFile, { force: true });
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

rmSync(socket, { force: true });
server.listen(socket, () => {
  writeFileSync(pidFile, `${process.pid}\n`);
  process.stdout.write(`listening on ${socket}\n`);
});
