import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, retryDelay } from './backoff.js';

describe('retryDelay', () => {
  it('doubles from initialMs up to maxMs without jitter', () => {
    const backoff = { initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((failures) => retryDelay(failures, backoff))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('stays within [capped × (1 − jitter), capped] for any attempt and draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.999_999, noNaN: true }), (n, draw) => {
        const capped = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** (n - 1));
        const delay = retryDelay(n, DEFAULT_BACKOFF, () => draw);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(capped * (1 - DEFAULT_BACKOFF.jitter)));
        expect(delay).toBeLessThanOrEqual(capped);
      }),
    );
  });
});
