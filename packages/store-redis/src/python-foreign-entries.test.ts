import { execFileSync } from 'node:child_process';
import { ReplayRail, type ReplayRailError } from '@replayrail/core';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

// The machine's python3, for what Python's own json module makes of what we store;
// without one these tests are skipped, or fail under REPLAYRAIL_REQUIRE_PYTHON=1.
function findPython3(): string | undefined {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    if (process.env.REPLAYRAIL_REQUIRE_PYTHON === '1') {
      throw new Error('REPLAYRAIL_REQUIRE_PYTHON=1 but there is no python3 on PATH');
    }
    return undefined;
  }
}
const python3 = findPython3();

// Runs a Python program with `input` on its standard input; its output, trimmed.
function runPython(program: string, input: string): string {
  return execFileSync(python3 as string, ['-c', program], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
  }).trim();
}

// Entries the Python library (or a hand with redis-cli) wrote, raw XADDs in its
// layout, read by this store (docs/architecture.md, "The envelope and the Redis layout").
describeWithRedis('RedisStreamStore and foreign entries in the Python layout', (url) => {
  let client: Redis;
  let prefix: string;
  beforeAll(() => {
    client = new Redis(url);
  });
  afterEach(async () => {
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });
  function fresh(options: { largeIntegers?: 'error' | 'string' } = {}): ReplayRail {
    prefix = uniquePrefix();
    return rail(options);
  }
  function rail(options: { largeIntegers?: 'error' | 'string' } = {}): ReplayRail {
    return new ReplayRail({ store: new RedisStreamStore({ client, ...options }), config: { streamPrefix: prefix } });
  }
  // One entry as the Python library writes it: its seven fields, in its order.
  function xadd(channel: string, fields: { payload?: string; created_at?: string } = {}): Promise<string> {
    return client.xadd(
      `${prefix}:${channel}`,
      '*',
      ...['event_id', `py-${Math.random().toString(36).slice(2)}`, 'channel', channel, 'type', 'order.created'],
      ...['payload', fields.payload ?? '{"order_id":"ord_1"}', 'actor', 'null', 'metadata', '{}'],
      ...['created_at', fields.created_at ?? '2026-06-29T12:00:00Z'],
    ) as Promise<string>;
  }
  async function failure(run: () => Promise<unknown>): Promise<ReplayRailError> {
    const error = await run().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'serialization_error' });
    return error as ReplayRailError;
  }

  it('pages up to an undecodable entry, then names it: replay, replayAll and a subscription alike', async () => {
    const r = fresh();
    const good = [await xadd('orders'), await xadd('orders')];
    const nan = await xadd('orders', { payload: '{"total":NaN}' });
    const noTime = await xadd('orders', { created_at: 'not-a-date' });
    const later = await xadd('orders');

    const page = await r.replay('orders', { after: '0-0', limit: 100 });
    expect(page.events.map((event) => event.id)).toEqual(good);
    expect(page).toMatchObject({ next: good[1], hasMore: true });
    const first = await failure(() => r.replay('orders', { after: page.next as string }));
    expect(first.context).toMatchObject({ id: nan, field: 'payload' });
    const second = await failure(() => r.replay('orders', { after: nan }));
    expect(second.context).toMatchObject({ id: noTime, field: 'created_at', value: 'not-a-date' });
    expect(second.message).toBe(
      `stream entry ${noTime}: stored created_at "not-a-date" is not an ISO 8601 time with a zone`,
    );
    expect((await r.replay('orders', { after: noTime })).events.map((event) => event.id)).toEqual([later]);

    const replayed: string[] = [];
    const ended = await failure(async () => {
      for await (const event of r.replayAll('orders', { after: '0-0', pageSize: 1 })) replayed.push(event.id);
    });
    expect(replayed).toEqual(good);
    expect(ended.context.id).toBe(nan);

    // Catching up, then live: each good entry once, in order, each bad one told by ID.
    const seen: string[] = [];
    const skipped: unknown[] = [];
    const subscription = await r.subscribe('orders', {
      after: '0-0',
      onEvent: (event) => seen.push(event.id),
      onError: (error) => skipped.push(error.context.id),
      onLive: () => seen.push('live'),
    });
    await expect.poll(() => seen).toEqual([...good, later, 'live']);
    const liveBad = await xadd('orders', { created_at: '2026-06-31T00:00:00Z' });
    const liveGood = await xadd('orders');
    await expect.poll(() => seen).toEqual([...good, later, 'live', liveGood]);
    expect(skipped).toEqual([nan, noTime, liveBad]);
    subscription.close();
  });

  it('reads each created_at form Python or a hand may write in the envelope form', async () => {
    const r = fresh();
    const forms: [string, string][] = [
      ['2026-06-29T12:00:00.123000Z', '2026-06-29T12:00:00.123000Z'], // the library's own
      ['2026-06-29T12:00:00Z', '2026-06-29T12:00:00Z'],
      ['2026-06-29T12:00:00+00:00', '2026-06-29T12:00:00Z'], // datetime.isoformat() of an aware UTC time
      ['2026-06-29T14:00:00.123456+02:00', '2026-06-29T12:00:00.123456Z'],
      ['2026-06-29T12:00:00.123Z', '2026-06-29T12:00:00.123000Z'], // JavaScript's toISOString
      ['2026-06-29T12:00:00.1Z', '2026-06-29T12:00:00.100000Z'],
      ['2026-06-29T12:00:00.123456789Z', '2026-06-29T12:00:00.123456Z'],
      ['2026-06-29T12:00:00.000000Z', '2026-06-29T12:00:00Z'],
      ['2026-06-29 12:00:00-01:30', '2026-06-29T13:30:00Z'],
    ];
    const ids: string[] = [];
    for (const [stored] of forms) ids.push(await xadd('times', { created_at: stored }));
    const events = (await r.replay('times', { after: '0-0' })).events;
    expect(events.map((event) => event.id)).toEqual(ids);
    expect(events.map((event) => event.created_at)).toEqual(forms.map(([, read]) => read));
    // Stored as written: the reader normalises, nothing rewrites the entry.
    const raw = (await client.xrange(`${prefix}:times`, '-', '+')) as [string, string[]][];
    expect(raw.map(([, fields]) => fields[13])).toEqual(forms.map(([stored]) => stored));
  });

  describe.skipIf(python3 === undefined)('bigints and Python (python3)', () => {
    it("publishes a bigint as the exact integer Python's json.loads reads as an int, and reads it back by largeIntegers", async () => {
      const r = fresh();
      const ids = { signed: 2n ** 63n - 1n, unsigned: 2n ** 64n - 1n, negative: -(2n ** 63n), small: 42n };
      const event = await r.publish({ channel: 'users', type: 'user.created', payload: { ids, name: 'Zoë' } });
      const [[, fields]] = (await client.xrange(`${prefix}:users`, event.id, event.id)) as [[string, string[]]];
      const payload = fields[fields.indexOf('payload') + 1] as string;
      expect(payload).toBe(
        '{"ids":{"signed":9223372036854775807,"unsigned":18446744073709551615,"negative":-9223372036854775808,"small":42},"name":"Zoë"}',
      );
      const read = runPython(
        'import json,sys; ids = json.loads(sys.stdin.read())["ids"]; ' +
          'print(" ".join(f"{k}={type(v).__name__}:{v}" for k, v in ids.items()))',
        payload,
      );
      expect(read).toBe(
        'signed=int:9223372036854775807 unsigned=int:18446744073709551615 negative=int:-9223372036854775808 small=int:42',
      );

      // Read back: by default an error naming the entry and path (JavaScript would round it) …
      const error = await failure(() => r.replay('users', { after: '0-0' }));
      expect(error.context).toMatchObject({ id: event.id, path: 'payload.ids.signed', value: '9223372036854775807' });
      // … or its exact digits with largeIntegers: 'string'.
      const lossless = rail({ largeIntegers: 'string' });
      expect((await lossless.replay('users', { after: '0-0' })).events[0]?.payload).toEqual({
        ids: {
          signed: '9223372036854775807',
          unsigned: '18446744073709551615',
          negative: '-9223372036854775808',
          small: 42,
        },
        name: 'Zoë',
      });
    });

    it('reads the integers Python itself wrote, exactly, with largeIntegers: string', async () => {
      fresh();
      const written = runPython(
        'import json; print(json.dumps({"user_id": 2**64 - 1, "balance": -(2**63)}, separators=(",", ":")))',
        '',
      );
      const id = await xadd('accounts', { payload: written });
      const { events } = await rail({ largeIntegers: 'string' }).replay('accounts', { after: '0-0' });
      expect(events).toMatchObject([
        { id, payload: { user_id: '18446744073709551615', balance: '-9223372036854775808' } },
      ]);
    });

    it('refuses a bigint past 64 bits, naming it, and stores nothing', async () => {
      const r = fresh();
      await expect(
        r.publish({ channel: 'users', type: 'user.created', payload: { id: 2n ** 64n } }),
      ).rejects.toMatchObject({ code: 'serialization_error', context: { path: 'payload.id' } });
      expect(await client.exists(`${prefix}:users`)).toBe(0);
    });
  });
});
