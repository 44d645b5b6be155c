import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createClient } from './client.js';
import { type CursorStorage, memoryStorage } from './storage.js';
import { envelope, FakeSocket, snapshotEnvelope } from './test-support/fake-socket.js';
import type { ClientError } from './types.js';

// Lets queued promise steps (the handler queue, storage) run under fake timers.
const settle = () => vi.advanceTimersByTimeAsync(0);

/** Memory storage that also records every cursor written, to show none was a snapshot event's. */
function recordingStorage(): CursorStorage & { written: (string | null)[] } {
  const storage = memoryStorage();
  const written: (string | null)[] = [];
  return {
    written,
    get: (channel) => storage.get(channel),
    set: (channel, cursor) => {
      written.push(cursor);
      return storage.set(channel, cursor);
    },
  };
}

/** A client on fake sockets, and what its subscription's handler and `reset` saw, in order. */
function setup(options: Partial<Parameters<typeof createClient>[0]> = {}) {
  const storage = recordingStorage();
  const client = createClient({ url: 'ws://server/ws', WebSocket: FakeSocket, storage, ...options });
  const seen: string[] = [];
  const errors: ClientError[] = [];
  client.on('error', (error) => errors.push(error));
  const handler = (event: { id: string; snapshot?: true }) => {
    seen.push(event.snapshot ? `${event.id} (snapshot)` : event.id);
  };
  const reset = () => {
    seen.push('reset');
  };
  return { client, storage, seen, errors, handler, reset };
}

describe('snapshots in the client', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.sockets = [];
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("starts from: 'snapshot' with reset, the snapshot's events marked, and keeps a cursor only after it", async () => {
    const { client, storage, seen, handler, reset } = setup();
    const subscription = client.subscribe('orders', handler, { from: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([{ op: 'subscribe', channel: 'orders', from: 'snapshot' }]);
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0', snapshot: true });
    // Key order: the IDs do not ascend, and none is dropped as a repeat.
    for (const id of ['30-0', '10-0', '45-0']) FakeSocket.last.receive(snapshotEnvelope('orders', id));
    await settle();
    expect(seen).toEqual(['reset', '30-0 (snapshot)', '10-0 (snapshot)', '45-0 (snapshot)']);
    expect(subscription.cursor).toBeNull();
    expect(storage.get('orders')).toBeNull();
    // The first event after the snapshot completes it.
    FakeSocket.last.receive(envelope('orders', '51-0'));
    FakeSocket.last.receive({ op: 'live', channel: 'orders' });
    await settle();
    expect(seen.at(-1)).toBe('51-0');
    expect(subscription.cursor).toBe('51-0');
    expect(subscription.state).toBe('live');
    expect(storage.written).toEqual([null, '51-0']);
    client.close();
  });

  it("keeps the snapshot's cursor at live when nothing came after it; reset runs for an empty snapshot too", async () => {
    const { client, storage, seen, handler, reset } = setup({ backoff: { initialMs: 1 } });
    client.subscribe('orders', handler, { from: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0', snapshot: true });
    FakeSocket.last.receive({ op: 'live', channel: 'orders' });
    await settle();
    expect(seen).toEqual(['reset']);
    expect(storage.get('orders')).toBe('50-0');
    // Complete: a reconnect resumes after it, with no snapshot and no reset.
    FakeSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1);
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([{ op: 'subscribe', channel: 'orders', after: '50-0' }]);
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0' });
    await settle();
    expect(seen).toEqual(['reset']);
    client.close();
  });

  it('starts from a snapshot again after a drop mid-snapshot, never from a partial view', async () => {
    const { client, storage, seen, handler, reset } = setup({ backoff: { initialMs: 1 } });
    client.subscribe('orders', handler, { from: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0', snapshot: true });
    FakeSocket.last.receive(snapshotEnvelope('orders', '30-0'));
    await settle();
    FakeSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1);
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([{ op: 'subscribe', channel: 'orders', from: 'snapshot' }]);
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '60-0', snapshot: true });
    FakeSocket.last.receive(snapshotEnvelope('orders', '30-0'));
    FakeSocket.last.receive(snapshotEnvelope('orders', '55-0'));
    FakeSocket.last.receive({ op: 'live', channel: 'orders' });
    await settle();
    expect(seen).toEqual(['reset', '30-0 (snapshot)', 'reset', '30-0 (snapshot)', '55-0 (snapshot)']);
    expect(storage.written).toEqual([null, null, '60-0']);
    client.close();
  });

  it('a page reloaded mid-snapshot finds no cursor, and starts from a snapshot again', async () => {
    const first = setup();
    first.storage.set('orders', '7-0');
    first.client.subscribe('orders', first.handler, { onExpired: 'snapshot', reset: first.reset });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'expired', channel: 'orders', code: 'replay_window_expired', message: 'gone' });
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0', snapshot: true });
    FakeSocket.last.receive(snapshotEnvelope('orders', '30-0'));
    await settle();
    first.client.close();
    // The same storage, a new page: the old cursor is gone, not left to expire again.
    const client = createClient({ url: 'ws://server/ws', WebSocket: FakeSocket, storage: first.storage });
    client.subscribe('orders', () => {}, { from: 'earliest', onExpired: 'snapshot' });
    await settle();
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([{ op: 'subscribe', channel: 'orders', from: 'earliest' }]);
    expect(first.storage.written).toEqual(['7-0', null, null]);
    client.close();
  });

  it("onExpired: 'snapshot' reports the expiry, then resyncs: reset, the snapshot, what follows, live", async () => {
    const { client, storage, seen, errors, handler, reset } = setup({ backoff: { initialMs: 1 } });
    const subscription = client.subscribe('orders', handler, { from: '5-0', onExpired: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '5-0' });
    FakeSocket.last.receive(envelope('orders', '6-0'));
    await settle();
    expect(storage.get('orders')).toBe('6-0');
    FakeSocket.last.receive({ op: 'expired', channel: 'orders', code: 'replay_window_expired', message: 'gone' });
    await settle();
    expect(errors).toEqual([{ channel: 'orders', code: 'replay_window_expired', message: 'gone' }]);
    expect(storage.get('orders')).toBeNull();
    expect(subscription.state).toBe('replaying');
    expect(FakeSocket.last.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'orders', from: 'snapshot' });
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '80-0', snapshot: true });
    FakeSocket.last.receive(snapshotEnvelope('orders', '70-0'));
    FakeSocket.last.receive(snapshotEnvelope('orders', '20-0'));
    FakeSocket.last.receive(envelope('orders', '81-0'));
    FakeSocket.last.receive({ op: 'live', channel: 'orders' });
    await settle();
    expect(seen).toEqual(['6-0', 'reset', '70-0 (snapshot)', '20-0 (snapshot)', '81-0']);
    expect(storage.written).toEqual(['6-0', null, null, '81-0']);
    expect(subscription.state).toBe('live');
    // A second expiry resyncs from a snapshot again.
    FakeSocket.last.receive({ op: 'expired', channel: 'orders', code: 'stream_reset', message: 'lost' });
    await settle();
    expect(FakeSocket.last.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'orders', from: 'snapshot' });
    expect(errors.map((error) => error.code)).toEqual(['replay_window_expired', 'stream_reset']);
    client.close();
  });

  it('a snapshot whose hand-off expires again is asked for after growing backoff steps, not at once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client, seen, errors, handler, reset } = setup({ backoff: { initialMs: 100, maxMs: 1_000 } });
    client.subscribe('orders', handler, { from: '5-0', onExpired: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    const socket = FakeSocket.last;
    const subscribes = () => socket.frames.filter((frame) => frame.op === 'subscribe').length;
    // Expired with a cursor: the snapshot is asked for at once.
    socket.receive({ op: 'expired', channel: 'orders', code: 'replay_window_expired', message: 'gone' });
    await settle();
    expect(subscribes()).toBe(2);
    // Each snapshot's hand-off expires before any event after it: 99, 199, 399, 799, 999 ms (capped) apart.
    for (const wait of [99, 199, 399, 799, 999]) {
      socket.receive({ op: 'subscribed', channel: 'orders', cursor: '80-0', snapshot: true });
      socket.receive(snapshotEnvelope('orders', '70-0'));
      socket.receive({ op: 'expired', channel: 'orders', code: 'replay_window_expired', message: 'gone' });
      await settle();
      const before = subscribes();
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(subscribes(), `${wait} ms`).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(subscribes(), `${wait} ms`).toBe(before + 1);
      expect(socket.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'orders', from: 'snapshot' });
    }
    expect(errors).toHaveLength(6);
    // Complete at last: the next expiry has a cursor again and is asked for at once.
    socket.receive({ op: 'subscribed', channel: 'orders', cursor: '90-0', snapshot: true });
    socket.receive(snapshotEnvelope('orders', '70-0'));
    socket.receive(envelope('orders', '91-0'));
    await settle();
    expect(seen.at(-1)).toBe('91-0');
    socket.receive({ op: 'expired', channel: 'orders', code: 'stream_reset', message: 'lost' });
    await settle();
    expect(socket.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'orders', from: 'snapshot' });
    client.close();
  });

  it('a reconnect while an expiry waits its step does not ask for it; the step does, once', async () => {
    // The expiry's step 999 ms, the reconnects' 100 ms.
    vi.spyOn(Math, 'random').mockReturnValueOnce(0.999).mockReturnValue(0.1);
    const { client, errors, handler } = setup({ backoff: { initialMs: 1_000, maxMs: 1_000 } });
    client.subscribe('orders', handler, { from: 'snapshot', onExpired: 'snapshot' });
    client.subscribe('tables', handler, { from: '1-0' });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '80-0', snapshot: true });
    FakeSocket.last.receive({ op: 'expired', channel: 'orders', code: 'replay_window_expired', message: 'gone' });
    await settle();
    // The connection drops and comes back within the step: only the other channel is asked for.
    const first = FakeSocket.last;
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    const again = FakeSocket.last;
    expect(again).not.toBe(first);
    again.open();
    await settle();
    expect(again.frames).toEqual([{ op: 'subscribe', channel: 'tables', after: '1-0' }]);
    await vi.advanceTimersByTimeAsync(898);
    expect(again.frames).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(again.frames).toEqual([
      { op: 'subscribe', channel: 'tables', after: '1-0' },
      { op: 'subscribe', channel: 'orders', from: 'snapshot' },
    ]);
    // Another reconnect asks for both.
    again.serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.last).not.toBe(again);
    FakeSocket.last.open();
    await settle();
    expect(FakeSocket.last.frames.map((frame) => frame.channel)).toEqual(['orders', 'tables']);
    expect(errors.map((error) => error.code)).toEqual(['replay_window_expired', 'connection_lost', 'connection_lost']);
    client.close();
  });

  it('on the one-channel URL: 4410 reconnects from=snapshot, reset when it opens, a cursor at the first event after', async () => {
    const { client, storage, seen, handler, reset } = setup({
      url: 'ws://server/ws/orders',
      single: true,
      backoff: { initialMs: 1 },
    });
    client.subscribe('orders', handler, { from: '3-0', onExpired: 'snapshot', reset });
    await settle();
    expect(new URL(FakeSocket.last.url).searchParams.get('last_event_id')).toBe('3-0');
    FakeSocket.last.open();
    FakeSocket.last.serverClose(4410, 'replay_window_expired');
    await settle();
    const query = () => new URL(FakeSocket.last.url).searchParams;
    expect(query().get('from')).toBe('snapshot');
    expect(query().get('last_event_id')).toBeNull();
    FakeSocket.last.open();
    FakeSocket.last.receive(snapshotEnvelope('orders', '40-0'));
    await settle();
    // This endpoint never says the snapshot is over: a drop now starts one again.
    FakeSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1);
    expect(query().get('from')).toBe('snapshot');
    FakeSocket.last.open();
    FakeSocket.last.receive(snapshotEnvelope('orders', '40-0'));
    FakeSocket.last.receive(envelope('orders', '90-0'));
    await settle();
    expect(seen).toEqual(['reset', '40-0 (snapshot)', 'reset', '40-0 (snapshot)', '90-0']);
    expect(storage.get('orders')).toBe('90-0');
    FakeSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1);
    expect(query().get('last_event_id')).toBe('90-0');
    FakeSocket.last.open();
    await settle();
    expect(seen.filter((step) => step === 'reset')).toHaveLength(2);
    client.close();
  });

  it('a stored cursor wins over from: snapshot: it resumes, with no reset', async () => {
    const { client, storage, seen, handler, reset } = setup();
    storage.set('orders', '40-2');
    client.subscribe('orders', handler, { from: 'snapshot', reset });
    await settle();
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([{ op: 'subscribe', channel: 'orders', after: '40-2' }]);
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '40-2' });
    FakeSocket.last.receive(envelope('orders', '41-0'));
    await settle();
    expect(seen).toEqual(['41-0']);
    client.close();
  });

  it('a reset that throws ends the subscription as a handler would; a channel that keeps no state too', async () => {
    const { client, storage, seen, handler } = setup();
    const failed: ClientError[] = [];
    const subscription = client.subscribe('orders', handler, {
      from: 'snapshot',
      reset: () => {
        throw new Error('cannot clear the board');
      },
      onError: (error) => failed.push(error),
    });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'orders', cursor: '50-0', snapshot: true });
    FakeSocket.last.receive(snapshotEnvelope('orders', '30-0'));
    await settle();
    expect(subscription.closed).toBe(true);
    expect(seen).toEqual([]);
    expect(failed).toEqual([{ code: 'handler_error', message: 'cannot clear the board', channel: 'orders' }]);
    expect(FakeSocket.last.frames.at(-1)).toEqual({ op: 'unsubscribe', channel: 'orders' });
    expect(storage.written).toEqual([]);

    // The server refuses a snapshot of a channel without a state policy: an error frame ends it.
    const refused = client.subscribe('plain', handler, { from: 'snapshot', onError: (error) => failed.push(error) });
    await settle();
    FakeSocket.last.receive({ op: 'error', code: 'invalid_request', message: 'keeps no state', channel: 'plain' });
    await settle();
    expect(refused.closed).toBe(true);
    expect(failed.at(-1)).toEqual({ code: 'invalid_request', message: 'keeps no state', channel: 'plain' });
    client.close();
  });

  it('types snapshot on events and the onExpired modes', () => {
    const client = createClient<{ 'order.created': { order_id: string } }>({
      url: 'ws://server/ws',
      WebSocket: FakeSocket,
    });
    client.subscribe(
      'orders',
      (event) => {
        expectTypeOf(event.snapshot).toEqualTypeOf<true | undefined>();
      },
      { from: 'snapshot', onExpired: 'snapshot', reset: async () => {} },
    );
    // @ts-expect-error: not a mode
    client.subscribe('other', () => {}, { onExpired: 'ignore' });
    client.close();
  });
});
