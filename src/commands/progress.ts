import { formatBytes } from '../core/archive/folder.ts';

/** How often plain output reports a transfer that is still going: every this many bytes. */
const PLAIN_STEP = 256 * 1024 * 1024;
/** How often the terminal line is redrawn at most. */
const REDRAW_MS = 200;

export interface TransferProgress {
  /** Bytes received so far. */
  update(bytes: number): void;
  /** The transfer is over: clear the live line. */
  done(): void;
}

/**
 * The transfer's progress: at a terminal one line redrawn in place (bytes and rate), otherwise a plain
 * line each 256 MiB, so a log shows that it moves without a line per chunk.
 */
export function transferProgress(
  write: (text: string) => void,
  tty: boolean,
  now: () => number = Date.now,
): TransferProgress {
  const start = now();
  let drawn = 0;
  let reported = 0;
  let live = false;
  const rate = (bytes: number) => {
    const seconds = Math.max((now() - start) / 1000, 0.001);
    return `${formatBytes(Math.round(bytes / seconds))}/s`;
  };
  return {
    update(bytes) {
      if (tty) {
        if (now() - drawn < REDRAW_MS) return;
        drawn = now();
        live = true;
        write(`\r\u001b[2K  received ${formatBytes(bytes)} (${rate(bytes)})`);
        return;
      }
      if (Math.floor(bytes / PLAIN_STEP) > Math.floor(reported / PLAIN_STEP)) {
        write(`  received ${formatBytes(bytes)} (${rate(bytes)})\n`);
      }
      reported = bytes;
    },
    done() {
      if (live) write('\r\u001b[2K');
      live = false;
    },
  };
}
