import { fstatSync, writeSync } from 'node:fs';

/**
 * asc's own words on stdout (fd 1) and stderr (fd 2), written at once, before the next line of code.
 *
 * Not `process.stdout.write`: the first touch of `process.stdout` or `process.stderr` builds a stream
 * for it, and for a pipe (what a Taskfile, CI or `| less` give) that is a socket with Node's net and
 * stream modules behind it, some 9 to 15 million instructions at every start (decision 48). A write on
 * the descriptor costs nothing to set up, and it has finished when the call returns, so the exit that
 * follows cannot cut it short. listr2's tree, drawn only in a terminal, still writes through the streams.
 */
export function writeOut(text: string): void {
  write(1, text);
}

export function writeErr(text: string): void {
  write(2, text);
}

/**
 * Whether the descriptor is a terminal, without building its stream (as `process.stdout.isTTY` would).
 * A pipe or a file is not a character device, and says so at the cost of one fstat; only a character
 * device (a terminal, or /dev/null) is asked of node:tty, which loads Node's net module.
 */
export function isTerminal(fd: 1 | 2): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

function write(fd: 1 | 2, text: string): void {
  writeAll(fd, text, { writeSync, stream: () => (fd === 1 ? process.stdout : process.stderr) });
}

/** The loop behind writeOut and writeErr; its two dependencies are parameters for the tests. */
export function writeAll(
  fd: number,
  text: string,
  io: {
    writeSync: (fd: number, bytes: Uint8Array, offset: number) => number;
    stream: () => { write(bytes: Uint8Array): unknown };
  },
): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) {
    try {
      done += io.writeSync(fd, bytes, done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The reader went away (`asc list | head -1`): nobody is left to read the rest.
      if (code === 'EPIPE') return;
      // A descriptor that someone made non-blocking, and that is full: the stream waits for it to drain.
      if (code === 'EAGAIN') {
        io.stream().write(bytes.subarray(done));
        return;
      }
      throw error;
    }
  }
}
