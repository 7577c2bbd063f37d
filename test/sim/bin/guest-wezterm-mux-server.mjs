#!/usr/bin/env node
// A stand-in for wezterm-mux-server in the simulated guest (test/sim): what the `wezterm` package's
// /usr/bin/wezterm-mux-server does as far as asc can see. It stays in the foreground (the real one
// detaches only with --daemonize, wezterm-mux-server/src/main.rs), listens on the default unix domain's
// socket ($XDG_RUNTIME_DIR/wezterm/sock) and answers the mux protocol's first exchange: GetCodecVersion
// with its codec version and version string, Ping with Pong; any other PDU gets an ErrorResponse.
// `--version` prints `wezterm-mux-server <version>` (clap's format). The version is the installed
// package's, FAKE_PACKAGE_VERSION, set by the wrapper the fake apt-get writes.
import { appendFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  codecVersionResponse,
  defaultSocket,
  ensureDir,
  frame,
  PDU,
  str,
  takeFrame,
} from '../lib/mux-codec.mjs';

const version = process.env.FAKE_PACKAGE_VERSION ?? 'unknown';
const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-V')) {
  process.stdout.write(`wezterm-mux-server ${version}\n`);
  process.exit(0);
}
if (args.includes('--daemonize')) {
  process.stderr.write('fake wezterm-mux-server (test/sim): --daemonize is not simulated\n');
  process.exit(1);
}

const socket = defaultSocket();
ensureDir(path.dirname(socket));
// A socket file left by a killed server refuses connections; the real server replaces it too.
rmSync(socket, { force: true });
const log = (line) => {
  if (process.env.FAKE_GUEST_ROOT)
    appendFileSync(path.join(process.env.FAKE_GUEST_ROOT, 'mux-server.log'), `${process.pid} ${line}\n`);
};

const server = net.createServer((conn) => {
  let buffered = Buffer.alloc(0);
  conn.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      let got;
      try {
        got = takeFrame(buffered);
      } catch {
        conn.destroy();
        return;
      }
      if (!got) return;
      buffered = got.rest;
      log(`pdu ${got.ident}`);
      if (got.ident === PDU.GetCodecVersion) {
        conn.write(
          frame(
            PDU.GetCodecVersionResponse,
            got.serial,
            codecVersionResponse(version, process.argv[1] ?? ''),
          ),
        );
      } else if (got.ident === PDU.Ping) {
        conn.write(frame(PDU.Pong, got.serial));
      } else {
        conn.write(frame(PDU.ErrorResponse, got.serial, str(`PDU ${got.ident} is not simulated`)));
      }
    }
  });
  conn.on('error', () => undefined);
});
server.listen(socket, () => log(`listening ${socket}`));
const stop = () => {
  server.close();
  rmSync(socket, { force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
