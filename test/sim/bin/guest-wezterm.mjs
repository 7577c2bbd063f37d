#!/usr/bin/env node
// The `wezterm` CLI of the simulated guest (test/sim), as the `wezterm` package installs it: `--version`
// (`wezterm <version>`), and `wezterm cli [--no-auto-start] [--prefer-mux] list|proxy` against the default
// unix domain's socket (wezterm-client/src/client.rs `compute_unix_domain`: $WEZTERM_UNIX_SOCKET, else
// $XDG_RUNTIME_DIR/wezterm/sock; there is no GUI in the guest). Both make the first exchange, the codec
// version, and fail as the real client does when the codec differs. `list` then prints the table's
// header (the stand-in server holds no panes); `proxy` pipes stdin and stdout to the socket until either
// side closes (the real one first registers itself with SetClientId, which the stand-in skips).
// Auto-starting a server (no --no-auto-start) is not simulated. FAKE_PACKAGE_VERSION is the version.
import net from 'node:net';
import {
  CODEC_VERSION,
  defaultSocket,
  frame,
  PDU,
  parseCodecVersionResponse,
  takeFrame,
} from '../lib/mux-codec.mjs';

const version = process.env.FAKE_PACKAGE_VERSION ?? 'unknown';
const args = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`ERROR  wezterm > ${message}; terminating\n`);
  process.exit(1);
};

if (args[0] === '--version' || args[0] === '-V') {
  process.stdout.write(`wezterm ${version}\n`);
  process.exit(0);
}
if (args[0] !== 'cli') fail(`fake wezterm (test/sim): \`wezterm ${args.join(' ')}\` is not simulated`);
const flags = new Set();
let i = 1;
for (; i < args.length && args[i].startsWith('--'); i++) flags.add(args[i]);
const sub = args[i];
if (!['list', 'proxy'].includes(sub ?? ''))
  fail(`fake wezterm (test/sim): \`wezterm cli ${sub}\` is not simulated`);
if (!flags.has('--no-auto-start'))
  fail('fake wezterm (test/sim): starting a mux server from the CLI is not simulated');

const socket = process.env.WEZTERM_UNIX_SOCKET || defaultSocket();
const conn = net.connect(socket);
conn.once('error', (error) => {
  const why =
    error.code === 'ENOENT' ? 'No such file or directory (os error 2)' : 'Connection refused (os error 111)';
  fail(`failed to connect to Socket("${socket}"): connecting to ${socket}: ${why}`);
});
conn.once('connect', () => {
  conn.write(frame(PDU.GetCodecVersion, 1));
  let buffered = Buffer.alloc(0);
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const got = takeFrame(buffered);
    if (!got) return;
    conn.off('data', onData);
    if (got.ident !== PDU.GetCodecVersionResponse)
      fail(`unexpected response to GetCodecVersion: PDU ${got.ident}`);
    const server = parseCodecVersionResponse(got.data);
    if (server.codec !== CODEC_VERSION) {
      fail(
        `Please install the same version of wezterm on both the client and server! The server version is ${server.version} (codec version ${server.codec}), which is not compatible with our version ${version} (codec version ${CODEC_VERSION}).`,
      );
    }
    if (sub === 'list') {
      process.stdout.write('WINID TABID PANEID WORKSPACE SIZE TITLE CWD\n');
      conn.end();
      return;
    }
    if (got.rest.length > 0) process.stdout.write(got.rest);
    conn.pipe(process.stdout);
    process.stdin.pipe(conn);
    conn.on('close', () => process.exit(0));
    process.stdin.on('end', () => process.exit(0));
  };
  conn.on('data', onData);
});
