import { describe, expect, it } from 'vitest';
import { ForbiddenError, isReplayRailError } from './errors.js';
import { ReplayRail } from './rail.js';
import type { EventStore } from './store/event-store.js';

// A third-party store that throws what its driver threw, sometimes synchronously.
function failingStore(failure: () => unknown, synchronous = false): EventStore {
  const fail = (): Promise<never> => {
    if (synchronous) throw failure();
    return Promise.reject(failure());
  };
  return { append: fail, replay: fail, read: fail, latestCursor: fail, healthcheck: fail, close: fail };
}

describe('what a store raises', () => {
  it.each([false, true])('is a store_error when it is not ours (synchronous throw: %s)', async (synchronous) => {
    const driverError = new Error('ECONNRESET from some driver');
    const rail = new ReplayRail({ store: failingStore(() => driverError, synchronous) });
    const calls = [
      rail.publish({ channel: 'c', type: 't', payload: {} }),
      rail.replay('c'),
      rail.read('c', { after: '0-0', blockMs: 0 }),
      rail.latestCursor('c'),
      rail.subscribe('c', { from: 'latest' }),
    ];
    for (const call of calls) {
      const error = await call.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(isReplayRailError(error, 'store_error')).toBe(true);
      expect((error as Error).cause).toBe(driverError);
    }
    expect(await rail.healthcheck()).toMatchObject({ ok: false, error: { code: 'store_error' } });
  });

  it('passes ReplayRail errors through, and an aborted read rejects with its own reason', async () => {
    const ours = new ForbiddenError('the store says no');
    await expect(new ReplayRail({ store: failingStore(() => ours) }).replay('c')).rejects.toBe(ours);
    const controller = new AbortController();
    const reason = new Error('stopped by the caller');
    controller.abort(reason);
    const store = failingStore(() => reason);
    await expect(
      new ReplayRail({ store }).read('c', { after: '0-0', blockMs: 10, signal: controller.signal }),
    ).rejects.toBe(reason);
  });
});
