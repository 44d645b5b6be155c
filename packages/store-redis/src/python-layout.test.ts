import { isReplayRailError, ReplayRail } from '@replayrail/core';
import type { SerializationError } from '@replayrail/core/errors';
import { eventFingerprint } from '@replayrail/core/store';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

// One Redis layout for both libraries (docs/architecture.md, "The envelope and the Redis layout"): this store and the Python ReplayRail 0.2 share one Redis. The fixtures
// below are entries and records in the exact form the Python library writes.
describeWithRedis('RedisStreamStore and the Python ReplayRail layout', (url) => {
  let client: Redis;
  let prefix: string;
  let rail: ReplayRail;
  beforeAll(() => {
    client = new Redis(url);
  });
  afterEach(async () => {
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });
  function fresh(): ReplayRail {
    prefix = uniquePrefix();
    rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
    return rail;
  }

  describe('what this store writes', () => {
    it('matches the Python entry field by field, in order', async () => {
      fresh();
      const event = await rail.publish({
        channel: 'restaurant:123:orders',
        type: 'order.created',
        payload: { order_id: 'ord_123', note: 'crème brûlée 🍮' },
        actor: null,
        metadata: { correlation_id: 'req_abc123' },
        createdAt: '2026-06-29T12:00:00.123000Z',
      });
      const [[id, fields]] = (await client.xrange(`${prefix}:restaurant:123:orders`, '-', '+')) as [[string, string[]]];
      expect(id).toBe(event.id);
      expect(fields).toEqual([
        'event_id',
        event.event_id,
        'channel',
        'restaurant:123:orders',
        'type',
        'order.created',
        'payload',
        '{"order_id":"ord_123","note":"crème brûlée 🍮"}',
        'actor',
        'null',
        'metadata',
        '{"correlation_id":"req_abc123"}',
        'created_at',
        '2026-06-29T12:00:00.123000Z',
      ]);
    });

    it('writes the idempotency record Python reads, with its fingerprint and TTL', async () => {
      fresh();
      const input = {
        channel: 'orders',
        type: 'order.created',
        payload: { order_id: 'ord_1' },
        actor: { type: 'waiter', id: 'usr_1' },
        eventId: 'evt-py-1',
        createdAt: '2026-06-29T12:00:00Z',
      };
      const event = await rail.publish(input);
      const record = JSON.parse((await client.get(`${prefix}:idempotency:evt-py-1`)) as string);
      expect(record).toEqual({
        stream_key: `${prefix}:orders`,
        stream_id: event.id,
        fingerprint: eventFingerprint(event),
        created_at: '2026-06-29T12:00:00Z',
      });
      const ttl = await client.ttl(`${prefix}:idempotency:evt-py-1`);
      expect(ttl).toBeGreaterThan(86_000);
      expect(ttl).toBeLessThanOrEqual(86_400);
    });
  });

  describe('what the Python library wrote', () => {
    it('reads its entries as the same envelope, and names an undecodable one', async () => {
      fresh();
      const key = `${prefix}:orders`;
      const full = await client.xadd(
        key,
        '*',
        ...['event_id', '6f1c2a4e-8a53-4b1e-9f5e-0c1d2e3f4a5b', 'channel', 'orders', 'type', 'order.created'],
        ...['payload', '{"order_id":"ord_123","name":"Zoë"}', 'actor', '{"type":"waiter","id":"usr_123"}'],
        ...['metadata', '{}', 'created_at', '2026-06-29T12:00:00.123000Z'],
      );
      // An entry from before event_id existed, with actor null.
      const old = await client.xadd(
        key,
        '*',
        ...['channel', 'orders', 'type', 'order.ready', 'payload', '{}', 'actor', 'null', 'metadata', '{}'],
        ...['created_at', '2026-06-29T12:00:01Z'],
      );
      const { events } = await rail.replay('orders');
      expect(events).toEqual([
        {
          id: full,
          event_id: '6f1c2a4e-8a53-4b1e-9f5e-0c1d2e3f4a5b',
          channel: 'orders',
          type: 'order.created',
          payload: { order_id: 'ord_123', name: 'Zoë' },
          actor: { type: 'waiter', id: 'usr_123' },
          metadata: {},
          created_at: '2026-06-29T12:00:00.123000Z',
        },
        {
          id: old,
          event_id: old,
          channel: 'orders',
          type: 'order.ready',
          payload: {},
          actor: null,
          metadata: {},
          created_at: '2026-06-29T12:00:01Z',
        },
      ]);
      const nan = await client.xadd(
        key,
        '*',
        ...['event_id', 'e-nan', 'channel', 'orders', 'type', 't', 'payload', '{"x":NaN}', 'actor', 'null'],
        ...['metadata', '{}', 'created_at', '2026-06-29T12:00:02Z'],
      );
      const error = await rail.replay('orders', { after: old as string }).catch((caught: unknown) => caught);
      expect(isReplayRailError(error, 'serialization_error')).toBe(true);
      expect((error as SerializationError).context).toMatchObject({ id: nan, field: 'payload' });
    });

    it("never rounds a 64-bit integer Python wrote: an error naming the entry and path, or a string with largeIntegers: 'string'", async () => {
      fresh();
      const key = `${prefix}:users`;
      // Python: json.dumps({"user_id": 9007199254740993}) writes every digit.
      const id = (await client.xadd(
        key,
        '*',
        ...[
          'event_id',
          'e-big',
          'channel',
          'users',
          'type',
          'user.created',
          'payload',
          '{"user_id": 9007199254740993}',
        ],
        ...['actor', 'null', 'metadata', '{}', 'created_at', '2026-06-29T12:00:00Z'],
      )) as string;
      const error = await rail.replay('users', { after: '0-0' }).catch((caught: unknown) => caught);
      expect(isReplayRailError(error, 'serialization_error')).toBe(true);
      expect((error as SerializationError).context).toMatchObject({
        id,
        path: 'payload.user_id',
        value: '9007199254740993',
      });
      expect((error as Error).message).toContain('payload.user_id');
      const lossless = new ReplayRail({
        store: new RedisStreamStore({ client, largeIntegers: 'string' }),
        config: { streamPrefix: prefix },
      });
      const { events } = await lossless.replay('users', { after: '0-0' });
      expect(events.map((event) => event.payload)).toEqual([{ user_id: '9007199254740993' }]);
      expect(() => new RedisStreamStore({ client, largeIntegers: 'bigint' as 'string' })).toThrow(/largeIntegers/);
    });

    it('dedupes a retry of an event whose record Python wrote, and rejects other content', async () => {
      fresh();
      const content = {
        channel: 'orders',
        type: 'order.created',
        payload: { order_id: 'ord_7' },
        actor: null,
        metadata: {},
        created_at: '2026-06-29T12:00:00Z',
      };
      const key = `${prefix}:orders`;
      const id = (await client.xadd(
        key,
        '*',
        ...['event_id', 'evt-7', 'channel', 'orders', 'type', 'order.created', 'payload', '{"order_id":"ord_7"}'],
        ...['actor', 'null', 'metadata', '{}', 'created_at', '2026-06-29T12:00:00Z'],
      )) as string;
      // Python's record: its three fields, built by string concatenation in its script.
      await client.set(
        `${prefix}:idempotency:evt-7`,
        `{"stream_key":"${key}","stream_id":"${id}","fingerprint":"${eventFingerprint(content)}"}`,
        'EX',
        86_400,
      );
      const retry = { channel: 'orders', type: 'order.created', payload: { order_id: 'ord_7' }, eventId: 'evt-7' };
      expect((await rail.publish({ ...retry, createdAt: '2026-06-29T12:00:00Z' })).id).toBe(id);
      // Without createdAt the retry is compared on content, using the entry's time.
      expect((await rail.publish(retry)).id).toBe(id);
      await expect(rail.publish({ ...retry, payload: { order_id: 'ord_8' } })).rejects.toMatchObject({
        code: 'duplicate_event_conflict',
      });
      expect(await client.xlen(key)).toBe(1);
    });
  });
});
