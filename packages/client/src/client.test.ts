import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { backoffDelay } from './backoff.js';
import { createClient } from './client.js';
import { defaultStorage, localStorageCursors, memoryStorage } from './storage.js';
import { envelope, FakeSocket } from './test-support/fake-socket.js';
import type { ClientError, ClientEvent, ClientState } from './types.js';

// Lets queued promise steps (the handler queue, storage) run under fake timers.
const settle = () => vi.advanceTimersByTimeAsync(0);

function setup(options: Partial<Parameters<typeof createClient>[0]> = {}) {
  const storage = memoryStorage();
  const client = createClient({ url: 'ws://server/ws', WebSocket: FakeSocket, storage, ...options });
  const states: ClientState[] = [];
  client.on('state', (state) => states.push(state));
  return { client, storage, states };
}

describe('createClient', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.sockets = [];
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('connects on the first subscribe, one socket for many channels, with the protocol name', async () => {
    const { client } = setup();
    expect(FakeSocket.sockets).toHaveLength(0);
    client.subscribe('a', () => {});
    client.subscribe('b', () => {}, { from: 'earliest' });
    await settle();
    expect(FakeSocket.sockets).toHaveLength(1);
    expect(FakeSocket.last.protocols).toBe('replayrail.v1');
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([
      { op: 'subscribe', channel: 'a', from: 'latest' },
      { op: 'subscribe', channel: 'b', from: 'earliest' },
    ]);
    client.close();
  });

  it('hands events over one at a time, moves the cursor after the handler, drops repeats', async () => {
    const { client, storage } = setup();
    const seen: string[] = [];
    let release!: () => void;
    const subscription = client.subscribe('a', async (event) => {
      seen.push(event.id);
      if (event.id === '1-0') await new Promise<void>((resolve) => (release = resolve));
    });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'a', cursor: '0-5' });
    for (const id of ['1-0', '2-0', '1-0', '2-0', '3-0']) FakeSocket.last.receive(envelope('a', id));
    await settle();
    // The first handler has not finished: nothing else ran, and the cursor waits.
    expect(seen).toEqual(['1-0']);
    expect(subscription.cursor).toBe('0-5');
    release();
    await settle();
    expect(seen).toEqual(['1-0', '2-0', '3-0']);
    expect(subscription.cursor).toBe('3-0');
    expect(storage.get('a')).toBe('3-0');
    client.close();
  });

  it('resubscribes every channel from its cursor after a drop', async () => {
    const { client, states } = setup({ backoff: { initialMs: 100 } });
    client.subscribe('a', () => {});
    client.subscribe('b', () => {});
    await settle();
    const first = FakeSocket.last;
    first.open();
    first.receive({ op: 'subscribed', channel: 'a', cursor: '5-0' });
    first.receive({ op: 'subscribed', channel: 'b', cursor: '0-0' });
    first.receive(envelope('b', '7-1'));
    await settle();
    first.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(100);
    const second = FakeSocket.last;
    expect(second).not.toBe(first);
    second.open();
    expect(second.frames).toEqual([
      { op: 'subscribe', channel: 'a', after: '5-0' },
      { op: 'subscribe', channel: 'b', after: '7-1' },
    ]);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    client.close();
    expect(states.at(-1)).toBe('closed');
  });

  it('resumes from the stored cursor after a reload; a cursor given to subscribe wins', async () => {
    const storage = memoryStorage();
    storage.set('a', '40-2');
    const client = createClient({ url: 'ws://server/ws', WebSocket: FakeSocket, storage });
    client.subscribe('a', () => {}, { from: 'earliest' });
    client.subscribe('b', () => {}, { from: '9-9' });
    await settle();
    FakeSocket.last.open();
    expect(FakeSocket.last.frames).toEqual([
      { op: 'subscribe', channel: 'a', after: '40-2' },
      { op: 'subscribe', channel: 'b', after: '9-9' },
    ]);
    client.close();
  });

  it('tells onExpired, forgets the cursor, then goes on from latest', async () => {
    const { client, storage } = setup();
    const errors: ClientError[] = [];
    client.on('error', (error) => errors.push(error));
    const expired = vi.fn(async () => {});
    const subscription = client.subscribe('a', () => {}, { from: '1-0', onExpired: expired });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'expired', channel: 'a', code: 'replay_window_expired', message: 'gone' });
    await settle();
    const info = { channel: 'a', code: 'replay_window_expired', message: 'gone' };
    expect(expired).toHaveBeenCalledWith(info);
    expect(errors).toEqual([info]);
    expect(subscription.cursor).toBeNull();
    expect(storage.get('a')).toBeNull();
    expect(FakeSocket.last.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'a', from: 'latest' });
    client.close();
  });

  it("onExpired: 'error' (the default) reports the expiry, then goes on from resume", async () => {
    for (const onExpired of ['error', undefined] as const) {
      const { client, storage } = setup();
      const seen: string[] = [];
      const subscription = client.subscribe('a', (event) => void seen.push(event.id), {
        from: '1-0',
        resume: 'earliest',
        ...(onExpired && { onExpired }),
      });
      await settle();
      FakeSocket.last.open();
      FakeSocket.last.receive({ op: 'expired', channel: 'a', code: 'stream_reset', message: 'lost' });
      await settle();
      expect(client.lastError).toEqual({ channel: 'a', code: 'stream_reset', message: 'lost' });
      expect(subscription.closed).toBe(false);
      expect(storage.get('a')).toBeNull();
      expect(FakeSocket.last.frames.at(-1)).toEqual({ op: 'subscribe', channel: 'a', from: 'earliest' });
      FakeSocket.last.receive({ op: 'subscribed', channel: 'a', cursor: '0-0' });
      FakeSocket.last.receive(envelope('a', '9-0'));
      await settle();
      expect(seen).toEqual(['9-0']);
      expect(storage.get('a')).toBe('9-0');
      client.close();
    }
  });

  it('reports replaying then live per subscription, and replaying again after a reconnect', async () => {
    const { client } = setup({ backoff: { initialMs: 1 } });
    const states: string[] = [];
    const subscription = client.subscribe('a', () => {}, { onState: (state) => states.push(state) });
    await settle();
    FakeSocket.last.open();
    expect(subscription.state).toBe('replaying');
    FakeSocket.last.receive({ op: 'live', channel: 'a' });
    await settle();
    expect(subscription.state).toBe('live');
    FakeSocket.last.serverClose(1011, 'store_unavailable');
    await vi.advanceTimersByTimeAsync(1);
    FakeSocket.last.open();
    await settle();
    expect(states).toEqual(['live', 'replaying']);
    client.close();
  });

  it('stops on a fatal close code and surfaces it; reconnect() tries again', async () => {
    const { client, states } = setup();
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    client.subscribe('a', () => {});
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.serverClose(4401, 'unauthenticated');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
    expect(client.lastError).toEqual({ code: 'unauthenticated', message: 'closed with 4401', closeCode: 4401 });
    expect(errors).toHaveLength(1);
    client.reconnect();
    await settle();
    expect(FakeSocket.sockets).toHaveLength(2);
    expect(states).toEqual(['open', 'closed', 'reconnecting']);
    client.close();
  });

  it('retries the transient codes', async () => {
    for (const code of [1001, 1006, 1011, 1013, 4408]) {
      FakeSocket.sockets = [];
      const { client } = setup({ backoff: { initialMs: 10, maxMs: 10 } });
      client.subscribe('a', () => {});
      await settle();
      FakeSocket.last.open();
      FakeSocket.last.serverClose(code);
      await vi.advanceTimersByTimeAsync(10);
      expect(FakeSocket.sockets, `close code ${code}`).toHaveLength(2);
      client.close();
    }
  });

  it('backs off exponentially with full jitter, capped, and resets after a stable connection', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { client } = setup({ backoff: { initialMs: 100, maxMs: 1_000, stableMs: 5_000 } });
    client.subscribe('a', () => {});
    await settle();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const before = FakeSocket.sockets.length;
      FakeSocket.last.open();
      FakeSocket.last.serverClose(1006);
      let waited = 0;
      while (FakeSocket.sockets.length === before) {
        await vi.advanceTimersByTimeAsync(1);
        waited++;
      }
      waits.push(waited);
    }
    // Math.random() = 0.999 of each step: just under it.
    expect(waits).toEqual([99, 199, 399, 799, 999, 999]);
    // A connection that stays up for stableMs starts the steps over.
    FakeSocket.last.open();
    await vi.advanceTimersByTimeAsync(5_000);
    FakeSocket.last.serverClose(1006);
    const before = FakeSocket.sockets.length;
    await vi.advanceTimersByTimeAsync(99);
    expect(FakeSocket.sockets.length).toBe(before + 1);
    client.close();
  });

  it('spreads 1,000 clients dropped by one restart over the backoff window (no storm)', () => {
    // Full jitter: the first retry of each is uniform in [0, initialMs).
    const delays = Array.from({ length: 1_000 }, () => backoffDelay(0, { initialMs: 1_000 }));
    const perTenth = Array.from(
      { length: 10 },
      (_, i) => delays.filter((d) => d >= i * 100 && d < (i + 1) * 100).length,
    );
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(1_000);
    // No tenth of the window holds more than a fifth of the clients (uniform: a tenth each).
    expect(Math.max(...perTenth)).toBeLessThan(200);
    expect(backoffDelay(40, { initialMs: 500, maxMs: 30_000 }, () => 0.5)).toBe(15_000);
  });

  it('brings 1,000 clients back spread over the first backoff step when their server restarts', async () => {
    const clients = Array.from({ length: 1_000 }, () => setup({ backoff: { initialMs: 1_000 } }).client);
    for (const client of clients) client.subscribe('a', () => {});
    await settle();
    const first = [...FakeSocket.sockets];
    for (const socket of first) socket.open();
    // The server goes away: every socket closes at the same moment.
    for (const socket of first) socket.serverClose(1001, 'shutting_down');
    const perTenth: number[] = [];
    for (let tenth = 0; tenth < 10; tenth++) {
      const before = FakeSocket.sockets.length;
      await vi.advanceTimersByTimeAsync(100);
      perTenth.push(FakeSocket.sockets.length - before);
    }
    // All back within the step, about a tenth in each tenth of it: never all at once.
    expect(perTenth.reduce((sum, n) => sum + n, 0)).toBe(1_000);
    expect(Math.max(...perTenth)).toBeLessThan(200);
    expect(Math.min(...perTenth)).toBeGreaterThan(50);
    for (const client of clients) client.close();
  });

  it('pings after a quiet spell and drops a silent connection', async () => {
    const { client } = setup({ heartbeatMs: 1_000, backoff: { initialMs: 1 } });
    client.subscribe('a', () => {});
    await settle();
    const socket = FakeSocket.last;
    socket.open();
    socket.sent = [];
    await vi.advanceTimersByTimeAsync(500);
    expect(socket.sent).toEqual(['{"op":"ping"}']);
    socket.receive({ op: 'pong' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.sockets).toHaveLength(1);
    // Silence from now on: after twice the heartbeat the socket is given up.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(socket.readyState).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.sockets).toHaveLength(2);
    client.close();
  });

  it('calls params on every connect', async () => {
    let token = 0;
    const { client } = setup({ params: async () => ({ token: String(++token) }), backoff: { initialMs: 1 } });
    client.subscribe('a', () => {});
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.sockets.map((socket) => new URL(socket.url).searchParams.get('token'))).toEqual(['1', '2']);
    client.close();
  });

  it('reconnects at once when the browser is online again', async () => {
    const target = new EventTarget();
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    try {
      const { client } = setup({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
      client.subscribe('a', () => {});
      await settle();
      FakeSocket.last.open();
      FakeSocket.last.serverClose(1006);
      await settle();
      expect(FakeSocket.sockets).toHaveLength(1);
      target.dispatchEvent(new Event('online'));
      await settle();
      expect(FakeSocket.sockets).toHaveLength(2);
      client.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('checks the connection when a hidden tab comes back after a long sleep', async () => {
    const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('document', document);
    try {
      const { client } = setup({ heartbeatMs: 1_000 });
      client.subscribe('a', () => {});
      await settle();
      const socket = FakeSocket.last;
      socket.open();
      socket.sent = [];
      document.visibilityState = 'hidden';
      document.dispatchEvent(new Event('visibilitychange'));
      // Timers are throttled in a hidden tab: the clock moves, the heartbeat does not run.
      vi.setSystemTime(Date.now() + 60_000);
      document.visibilityState = 'visible';
      document.dispatchEvent(new Event('visibilitychange'));
      // Silent for far longer than twice the heartbeat: given up at once, and a new socket opened.
      expect(socket.readyState).toBe(3);
      client.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('types handlers by the event map', () => {
    const client = createClient<{ 'order.created': { order_id: string }; 'order.ready': { eta: number } }>({
      url: 'ws://server/ws',
      WebSocket: FakeSocket,
    });
    client.subscribe('orders', (event) => {
      if (event.type === 'order.created') expectTypeOf(event.payload.order_id).toBeString();
      // @ts-expect-error: order.ready has no order_id
      else void event.payload.order_id;
    });
    const untyped = createClient({ url: 'ws://server/ws', WebSocket: FakeSocket });
    untyped.subscribe('x', (event) => {
      expectTypeOf(event).toEqualTypeOf<ClientEvent>();
    });
    client.close();
    untyped.close();
  });

  it('serves one channel from a one-channel URL, its position in the query', async () => {
    const { client } = setup({ url: 'ws://server/ws/orders', single: true, backoff: { initialMs: 1 } });
    const seen: string[] = [];
    client.subscribe('orders', (event) => {
      seen.push(event.id);
    });
    expect(() => client.subscribe('other', () => {})).toThrow(/one channel/);
    await settle();
    expect(new URL(FakeSocket.last.url).searchParams.get('from')).toBe('latest');
    expect(FakeSocket.last.protocols).toBeUndefined();
    FakeSocket.last.open();
    FakeSocket.last.receive(envelope('orders', '3-0'));
    await settle();
    FakeSocket.last.serverClose(1001, 'shutting_down');
    await vi.advanceTimersByTimeAsync(1);
    expect(new URL(FakeSocket.last.url).searchParams.get('last_event_id')).toBe('3-0');
    // 4410 is this endpoint's expiry: start again from latest.
    FakeSocket.last.open();
    FakeSocket.last.serverClose(4410, 'replay_window_expired');
    await settle();
    expect(new URL(FakeSocket.last.url).searchParams.get('from')).toBe('latest');
    expect(seen).toEqual(['3-0']);
    client.close();
  });

  it('goes on past an entry the server cannot decode: 4422 on one channel, an error frame on many', async () => {
    const errors: string[] = [];
    const single = setup({ url: 'ws://server/ws/orders', single: true });
    single.client.on('error', (error) => errors.push(`${error.code} ${error.message}`));
    const seen: string[] = [];
    single.client.subscribe('orders', (event) => {
      seen.push(event.id);
    });
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive(envelope('orders', '3-0'));
    await settle();
    // The events before it arrived; the close names the entry: connect again after it, at once.
    FakeSocket.last.serverClose(4422, 'serialization_error 4-0');
    await settle();
    expect(new URL(FakeSocket.last.url).searchParams.get('last_event_id')).toBe('4-0');
    expect(single.client.state).not.toBe('closed');
    expect(errors).toEqual(['serialization_error closed with 4422 (entry 4-0 skipped)']);
    expect(seen).toEqual(['3-0']);
    single.client.close();

    const many = setup();
    const subscription = many.client.subscribe('a', () => {});
    await settle();
    FakeSocket.last.open();
    FakeSocket.last.receive({ op: 'subscribed', channel: 'a', cursor: '1-0' });
    FakeSocket.last.receive({ op: 'error', code: 'serialization_error', message: 'bad', channel: 'a', id: '2-0' });
    await settle();
    // The subscription goes on; a resubscribe starts after the entry, not before it.
    expect(subscription.closed).toBe(false);
    expect(subscription.cursor).toBe('2-0');
    expect(await many.storage.get('a')).toBe('2-0');
    many.client.close();
  });

  it('keeps cursors in localStorage where there is one, under a prefix', () => {
    const items = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => items.set(key, value),
      removeItem: (key: string) => items.delete(key),
    });
    try {
      const storage = defaultStorage();
      storage.set('orders', '12-0');
      expect(items.get('replayrail:orders')).toBe('12-0');
      expect(storage.get('orders')).toBe('12-0');
      storage.set('orders', null);
      expect(items.has('replayrail:orders')).toBe(false);
      localStorageCursors('app:').set('c', '1-1');
      expect(items.get('app:c')).toBe('1-1');
    } finally {
      vi.unstubAllGlobals();
    }
    expect(defaultStorage().get('orders')).toBeUndefined();
  });

  it('refuses bad options at once: no WebSocket, a URL that does not parse; a URL the socket refuses ends it', async () => {
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => createClient({ url: 'ws://server/ws' })).toThrow(/no WebSocket here/);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(() => createClient({ url: 'not a url', WebSocket: FakeSocket })).toThrow(TypeError);
    class Refusing extends FakeSocket {
      constructor(url: string) {
        super(url);
        throw new SyntaxError(`cannot connect to ${url}`);
      }
    }
    const { client } = setup({ url: 'http://server/ws', WebSocket: Refusing });
    client.subscribe('a', () => {});
    await settle();
    expect(client.state).toBe('closed');
    expect(client.lastError?.code).toBe('invalid_url');
  });
});
