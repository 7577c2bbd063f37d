import { test } from 'vitest';

/**
 * Tests that need something this laptop may lack (a Debian package, ../shared/fixtures) skip with the
 * reason here, and fail in CI (CI=true), where it is always installed. Returns true when they should skip.
 */
export function skipUnless(available: boolean, what: string, fix: string): boolean {
  if (available) return false;
  if (process.env.CI === 'true') {
    test(`${what} is present (required in CI)`, () => {
      throw new Error(`${what} is missing: ${fix}`);
    });
    return false;
  }
  console.warn(`skipping: ${what} is missing (${fix})`);
  return true;
}
