// WezTerm's mux protocol framing, as much of it as the sim's stand-ins speak (codec/src/lib.rs):
// a frame is leb128(len | 1<<63 when compressed), leb128(serial), leb128(ident), then the PDU's data,
// serialized with varbincode (unsigned integers as leb128, a string as its leb128 length and UTF-8
// bytes; the stand-in only ever sends `None` for an Option, as a zero byte). Frames over 32 bytes may be zstd-compressed by the real
// server; the stand-in never compresses, and refuses a compressed frame rather than guess.
// Used by the guest's stand-in wezterm-mux-server and wezterm CLI (test/sim/bin/guest-wezterm*.mjs).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** codec/src/lib.rs CODEC_VERSION of WezTerm 20240203-110809-5046fc22 and of main (Feb 2025). */
export const CODEC_VERSION = 44;
/** The PDU idents the stand-ins know (codec/src/lib.rs, the `pdu!` table). */
export const PDU = { ErrorResponse: 0, Ping: 1, Pong: 2, GetCodecVersion: 26, GetCodecVersionResponse: 27 };

export function uleb(value) {
  const out = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

export const str = (text) => {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([uleb(bytes.length), bytes]);
};

export function frame(ident, serial, data = Buffer.alloc(0)) {
  const head = Buffer.concat([uleb(serial), uleb(ident)]);
  return Buffer.concat([uleb(head.length + data.length), head, data]);
}

/** Reads leb128 at `offset`: [value, next offset], or undefined when the buffer ends first. */
export function readUleb(buf, offset) {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < buf.length; i++) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    shift += 7n;
    if ((buf[i] & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

/** One whole frame at the start of `buf`: { serial, ident, data, rest }, or undefined when incomplete. */
export function takeFrame(buf) {
  const len = readUleb(buf, 0);
  if (!len) return undefined;
  const compressed = (len[0] & (1n << 63n)) !== 0n;
  const size = Number(len[0] & ~(1n << 63n));
  if (buf.length < len[1] + size) return undefined;
  if (compressed) throw new Error('a compressed PDU: not simulated');
  const body = buf.subarray(len[1], len[1] + size);
  const serial = readUleb(body, 0);
  const ident = readUleb(body, serial[1]);
  return {
    serial: Number(serial[0]),
    ident: Number(ident[0]),
    data: body.subarray(ident[1]),
    rest: buf.subarray(len[1] + size),
  };
}

/** GetCodecVersionResponse { codec_vers: usize, version_string: String, executable_path: PathBuf, config_file_path: Option<PathBuf> }. */
export function codecVersionResponse(version, executable) {
  return Buffer.concat([uleb(CODEC_VERSION), str(version), str(executable), Buffer.from([0])]);
}

export function parseCodecVersionResponse(data) {
  const codec = readUleb(data, 0);
  const len = readUleb(data, codec[1]);
  const start = len[1];
  return {
    codec: Number(codec[0]),
    version: data.subarray(start, start + Number(len[0])).toString('utf8'),
  };
}

/**
 * The default unix domain's socket (config/src/unix.rs `socket_path`, config.rs `compute_runtime_dir`):
 * $WEZTERM_UNIX_SOCKET for the CLI, else `$XDG_RUNTIME_DIR/wezterm/sock`, else `~/.local/share/wezterm/sock`.
 */
export function defaultSocket(env = process.env) {
  const runtime = env.XDG_RUNTIME_DIR
    ? path.join(env.XDG_RUNTIME_DIR, 'wezterm')
    : path.join(env.HOME ?? '/', '.local/share/wezterm');
  return path.join(runtime, 'sock');
}

export function ensureDir(dir) {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}
