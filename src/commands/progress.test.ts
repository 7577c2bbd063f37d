import { describe, expect, it } from 'vitest';
import { transferProgress } from './progress.ts';

/** A clock the test moves by hand. */
function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the transfer progress', () => {
  it('at a terminal: one line redrawn in place, with bytes and rate, at most every 200 ms, cleared at the end', () => {
    const time = clock();
    const written: string[] = [];
    const progress = transferProgress((text) => written.push(text), true, time.now);
    time.advance(1000);
    progress.update(10 * 1024 * 1024);
    time.advance(50);
    progress.update(11 * 1024 * 1024);
    time.advance(1000);
    progress.update(40 * 1024 * 1024);
    progress.done();
    expect(written).toEqual([
      '\r\u001b[2K  received 10 MiB (10 MiB/s)',
      '\r\u001b[2K  received 40 MiB (20 MiB/s)',
      '\r\u001b[2K',
    ]);
  });

  it('elsewhere: a plain line each 256 MiB, never a redraw', () => {
    const time = clock();
    const written: string[] = [];
    const progress = transferProgress((text) => written.push(text), false, time.now);
    time.advance(2000);
    for (let mib = 64; mib <= 600; mib += 64) progress.update(mib * 1024 * 1024);
    progress.done();
    expect(written).toEqual(['  received 256 MiB (128 MiB/s)\n', '  received 512 MiB (256 MiB/s)\n']);
  });
});
