import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CursorClock, currentInterval, DEFAULT_CURSOR_CLOCK, responseCursor } from './stream-cursor.js';

const at = (ms: number, random = 0.5): CursorClock => ({
  ...DEFAULT_CURSOR_CLOCK,
  now: () => ms,
  random: () => random,
});
const EPOCH = Date.UTC(2024, 9, 9);

describe('Stream-Cursor (section 10.1)', () => {
  it('counts 20 s intervals from 2024-10-09T00:00:00Z', () => {
    expect(currentInterval(at(EPOCH))).toBe(0);
    expect(currentInterval(at(EPOCH + 19_999))).toBe(0);
    expect(currentInterval(at(EPOCH + 20_000))).toBe(1);
    expect(responseCursor(undefined, at(EPOCH + 1000 * 20_000))).toBe('1000');
  });

  it('answers the current interval to a client without one, behind it, or with one that is not a number', () => {
    const clock = at(EPOCH + 1000 * 20_000);
    for (const client of [undefined, '999', '0', 'abc', '', '-5', '1e3']) {
      expect(responseCursor(client, clock), String(client)).toBe('1000');
    }
  });

  it("answers strictly more than a client's cursor at or past the current interval: never back, never a cycle", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 10_000_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (client, random) => {
          const clock = at(EPOCH + 1000 * 20_000, random);
          const answer = Number(responseCursor(String(client), clock));
          expect(answer).toBeGreaterThan(client);
          // By 1 to 3600 seconds' worth of intervals.
          expect(answer - client).toBeLessThanOrEqual(180);
        },
      ),
    );
  });
});
