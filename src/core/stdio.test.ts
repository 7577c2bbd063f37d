import { describe, expect, it } from 'vitest';
import { writeAll } from './stdio.ts';

/** A descriptor that takes `chunk` bytes a call, then fails with `code` once it has taken `limit`. */
function descriptor(chunk: number, limit = Number.POSITIVE_INFINITY, code = 'EAGAIN') {
  const taken: number[] = [];
  const streamed: number[] = [];
  return {
    taken,
    streamed,
    io: {
      writeSync: (_fd: number, bytes: Uint8Array, offset: number) => {
        if (taken.length >= limit) throw Object.assign(new Error(code), { code });
        const part = bytes.subarray(offset, Math.min(offset + chunk, offset + limit - taken.length));
        taken.push(...part);
        return part.length;
      },
      stream: () => ({ write: (bytes: Uint8Array) => streamed.push(...bytes) }),
    },
  };
}

const text = 'asc: ünïcode and a line that is longer than one write\n';
const bytes = [...Buffer.from(text)];

describe('writing to stdout and stderr', () => {
  it('writes every byte, over as many writes as the descriptor needs', () => {
    const fd = descriptor(7);
    writeAll(1, text, fd.io);
    expect(fd.taken).toEqual(bytes);
    expect(fd.streamed).toEqual([]);
  });

  it('hands what is left to the stream when a non-blocking descriptor is full', () => {
    const fd = descriptor(5, 12);
    writeAll(1, text, fd.io);
    expect(fd.taken).toEqual(bytes.slice(0, 12));
    expect(fd.streamed).toEqual(bytes.slice(12));
  });

  it('stops quietly when the reader has gone (EPIPE)', () => {
    const fd = descriptor(5, 10, 'EPIPE');
    expect(() => writeAll(1, text, fd.io)).not.toThrow();
    expect(fd.taken).toEqual(bytes.slice(0, 10));
    expect(fd.streamed).toEqual([]);
  });

  it('throws any other error', () => {
    const fd = descriptor(5, 0, 'EBADF');
    expect(() => writeAll(2, text, fd.io)).toThrow('EBADF');
  });
});
