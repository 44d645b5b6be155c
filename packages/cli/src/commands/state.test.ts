import { type EventStore, ReplayRail, type StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../parse.js';
import { loadPolicies, type Policies } from '../policy.js';
import { rebuildState, type StateTarget, showState } from './state.js';

const CHANNEL = 'restaurant:1:orders';

/** A CliIo that keeps what is written. */
function captured() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    progress: () => {},
    lines: async function* () {},
    interactive: false,
    signal: new AbortController().signal,
  };
  return { io, out, err };
}

const keyedBy = (keyField: string): Promise<Policies> =>
  loadPolicies(CHANNEL, { keyField, tombstone: ['order.deleted'] }, { writes: true }) as Promise<Policies>;

const order = (rail: ReplayRail, key: string, type = 'order.updated', n = 0) =>
  rail.publish({ channel: CHANNEL, type, payload: { order_id: key, n } });

// The state commands on one store: `rail` keeps the state as the application's does,
// `around` publishes without the policy, as a writer that bypasses the append step.
function stateSuite(storeName: string, makeStore: () => { store: EventStore; prefix: string }) {
  describe(`replayrail state on the ${storeName} store`, () => {
    let rail: ReplayRail;
    let around: ReplayRail;
    const rails: ReplayRail[] = [];
    let policies: Policies;
    let target: StateTarget;

    let made: { store: EventStore; prefix: string } | undefined;

    // Rails on a new store, or (`again`) on the one before, with the policy of `keyField`.
    const use = async (keyField = 'order_id', again = false) => {
      if (!again || made === undefined) made = makeStore();
      const { store, prefix } = made;
      policies = await keyedBy(keyField);
      rail = new ReplayRail({ store, config: { streamPrefix: prefix, channels: policies.channels } });
      around = new ReplayRail({ store, config: { streamPrefix: prefix } });
      rails.push(rail, around);
      target = { rail, policies };
    };
    const close = async () => {
      await Promise.all(rails.splice(0).map((made) => made.close()));
    };
    afterEach(close);

    it("prints each key's latest event in key order, page by page, and one key with --key", async () => {
      await use();
      await order(rail, 'c', 'order.created');
      await order(rail, 'a', 'order.created');
      await order(rail, 'b', 'order.created');
      const latest = await order(rail, 'a', 'order.paid', 2);
      const last = await order(rail, 'b', 'order.deleted');

      const plain = captured();
      expect(await showState(target, plain.io, CHANNEL, { pageSize: '1' })).toBe(EXIT.ok);
      expect(plain.out.map((line) => line.split(' ').slice(0, 4).join(' '))).toEqual([
        `a ${latest.id} ${latest.created_at} order.paid`,
        expect.stringMatching(/^c \S+ \S+ order\.created$/),
      ]);
      // The cursor the snapshot is exact at goes to stderr, with how to read on from it.
      expect(plain.err).toEqual([
        `replayrail: 2 keys in the state of ${CHANNEL}, exact at ${last.id} (what came after: replayrail tail ${CHANNEL} --from ${last.id})`,
      ]);

      const json = captured();
      expect(await showState(target, json.io, CHANNEL, { json: true })).toBe(EXIT.ok);
      const lines = json.out.map((line) => JSON.parse(line) as { key: string; event: StoredEvent });
      expect(lines.map((line) => line.key)).toEqual(['a', 'c']);
      // The event as `tail --json` prints it (the snapshot's mark left out: the cursor is said apart).
      expect(lines[0]?.event).toEqual(latest);

      const one = captured();
      expect(await showState(target, one.io, CHANNEL, { key: 'a', json: true })).toBe(EXIT.ok);
      expect(one.out.map((line) => JSON.parse(line))).toEqual([{ key: 'a', event: latest }]);
      // A key the state does not hold (deleted by its tombstone): exit 4, said on stderr.
      const gone = captured();
      expect(await showState(target, gone.io, CHANNEL, { key: 'b' })).toBe(EXIT.notFound);
      expect(gone.out).toEqual([]);
      expect(gone.err).toEqual([`replayrail: no key b in the state of ${CHANNEL}; it holds 2 other keys`]);
    });

    it('says when no policy gives the channel a state: exit 4, naming the source and the keyed patterns', async () => {
      await use();
      for (const command of [showState, rebuildState]) {
        const { io, out, err } = captured();
        expect(await command(target, io, 'restaurant:1:tables', {})).toBe(EXIT.notFound);
        expect(out).toEqual([]);
        expect(err).toEqual([
          `replayrail: restaurant:1:tables keeps no state under --key-field order_id --tombstone order.deleted: no policy with a state matches it (those with a state: ${CHANNEL})`,
        ]);
      }
    });

    it('rebuild takes in the events written around the append, and says what it did', async () => {
      await use();
      await order(around, 'x', 'order.created', 1);
      const x = await order(around, 'x', 'order.paid', 2);
      await order(around, 'y', 'order.created');
      await order(around, 'y', 'order.deleted');
      // Nothing in the state yet: said, with the command that fixes it.
      const before = captured();
      expect(await showState(target, before.io, CHANNEL, {})).toBe(EXIT.ok);
      expect(before.out).toEqual([]);
      expect(before.err[0]).toContain(
        `the state of ${CHANNEL} holds no keys; its stream retains events: \`replayrail state rebuild ${CHANNEL} --key-field order_id --tombstone order.deleted\` computes the state from them`,
      );
      const missing = captured();
      expect(await showState(target, missing.io, CHANNEL, { key: 'x' })).toBe(EXIT.notFound);
      expect(missing.err[0]).toMatch(/^replayrail: no key x in the state of .*; its stream retains events/);

      const rebuilt = captured();
      expect(await rebuildState(target, rebuilt.io, CHANNEL, { pageSize: '2' })).toBe(EXIT.ok);
      expect(rebuilt.out).toEqual([
        `rebuilt the state of ${CHANNEL}: 4 retained events read, 1 key changed, 1 key in the state`,
      ]);
      expect(await rail.stateOf(CHANNEL, 'x')).toEqual(x);
      expect(await rail.stateOf(CHANNEL, 'y')).toBeNull();
      const json = captured();
      expect(await rebuildState(target, json.io, CHANNEL, { json: true })).toBe(EXIT.ok);
      expect(JSON.parse(json.out[0] as string)).toMatchObject({ channel: CHANNEL, events: 4, keys: 1 });
    });

    it('a channel with no history: nothing to rebuild from, said on stderr', async () => {
      await use();
      const { io, out, err } = captured();
      expect(await rebuildState(target, io, CHANNEL, {})).toBe(EXIT.ok);
      expect(out).toEqual([
        `rebuilt the state of ${CHANNEL}: 0 retained events read, 0 keys changed, 0 keys in the state`,
      ]);
      expect(err).toEqual([`replayrail: nothing to rebuild from: ${CHANNEL} retains no event`]);
      const shown = captured();
      expect(await showState(target, shown.io, CHANNEL, {})).toBe(EXIT.ok);
      expect(shown.err).toEqual([`replayrail: the state of ${CHANNEL} holds no keys; its stream retains no event`]);
    });

    it('a key field that does not name the keys of the state: each shown as -, said once', async () => {
      await use();
      await order(rail, 'a');
      await order(rail, 'b');
      await use('id', true); // the same store, read with another policy
      const { io, out, err } = captured();
      expect(await showState(target, io, CHANNEL, {})).toBe(EXIT.ok);
      expect(out.map((line) => line.split(' ')[0])).toEqual(['-', '-']);
      expect(err[0]).toMatch(
        /^replayrail: --key-field id .* gives no key for \S+ \(order\.updated\), an event of the state/,
      );
      expect(err).toHaveLength(2); // and the count
    });

    it('refuses a bad page size or channel before reading', async () => {
      await use();
      for (const pageSize of ['0', '-1', '1.5', 'ten']) {
        await expect(showState(target, captured().io, CHANNEL, { pageSize })).rejects.toThrow(UsageError);
        await expect(rebuildState(target, captured().io, CHANNEL, { pageSize })).rejects.toThrow(UsageError);
      }
      // Above the rail's limit, and a channel that is no channel: the rail's own 400s.
      await expect(showState(target, captured().io, CHANNEL, { pageSize: '5000' })).rejects.toMatchObject({
        code: 'invalid_request',
      });
      await expect(showState(target, captured().io, 'bad channel!', {})).rejects.toMatchObject({
        code: 'invalid_channel',
      });
    });
  });
}

// One memory store per test, as a process of its own would have.
stateSuite('memory', () => ({ store: new MemoryEventStore(), prefix: 'rr' }));

describeWithRedis('the state commands on Redis', (url) => {
  const prefix = uniquePrefix('cli-state');
  let redis: Redis;
  let tests = 0;
  beforeAll(() => {
    redis = new Redis(url);
  });
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });
  // A prefix per test: each starts from an empty channel, as on the memory store.
  stateSuite('Redis', () => ({ store: new RedisStreamStore({ client: redis }), prefix: `${prefix}-${tests++}` }));
});
