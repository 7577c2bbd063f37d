import { describe, expect, it } from 'vitest';
import { checkSocketPath } from './socket-path.ts';

describe('a unix socket path on macOS (sun_path, 104 bytes with its NUL)', () => {
  it('103 bytes fit; 104 are refused with the path, its length and the fix', () => {
    const fits = `/${'a'.repeat(102)}`;
    expect(() => checkSocketPath(fits, 'the link', 'use a shorter LIMA_HOME')).not.toThrow();
    const over = `/${'a'.repeat(103)}`;
    expect(() => checkSocketPath(over, 'the link', 'use a shorter LIMA_HOME')).toThrow(
      `the link ${over} is 104 bytes: a unix socket path on macOS must be shorter than 104 (sun_path)`,
    );
    expect(() => checkSocketPath(over, 'the link', 'use a shorter LIMA_HOME')).toThrow(
      expect.objectContaining({ hint: 'use a shorter LIMA_HOME; nothing was changed' }),
    );
  });

  it('counts bytes, not characters', () => {
    // 52 two-byte characters and a slash: 53 characters, 105 bytes.
    const wide = `/${'é'.repeat(52)}`;
    expect(wide.length).toBe(53);
    expect(() => checkSocketPath(wide, 'the link', 'shorten it')).toThrow(/is 105 bytes/);
  });
});
