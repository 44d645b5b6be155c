import { describe, expect, it } from 'vitest';
import { ZERO_CURSOR } from '../cursor.js';
import { isReplayRailError } from '../errors.js';
import type { DeadLetterFailure, GroupEntry, GroupRef, GroupStore } from '../store/group-store.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids } from './context.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function groups(context: ConformanceContext): GroupStore {
  const groups = context.harness.store.groups;
  if (groups === undefined) throw new Error('the store has no consumer groups (store.groups)');
  return groups;
}

const entryIds = (entries: readonly GroupEntry[]) => entries.map((entry) => entry.id);

function failure(consumer: string, attempts: number): DeadLetterFailure {
  return {
    errorName: 'Error',
    errorMessage: `attempt ${attempts} failed`,
    attempts,
    firstFailedAt: 1_700_000_000_000,
    lastFailedAt: 1_700_000_000_500,
    consumer,
  };
}

/** The consumer-group section of the conformance suite (docs/architecture.md, "Consumers"). */
export function groupTests(ctx: () => ConformanceContext): void {
  describe('consumer groups', () => {
    const setup = async (channel: string, count: number, start = ZERO_CURSOR) => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const events = await context.publishMany(rail, channel, count);
      const ref: GroupRef = { ...context.stream(channel), group: 'workers' };
      const store = groups(context);
      await store.createGroup(ref, start);
      return { context, rail, events, ref, store };
    };

    it('creates a group once, at the start asked for, and refuses reads of a group that does not exist', async () => {
      const { rail, events, ref, store } = await setup('create', 3, ZERO_CURSOR);
      expect(await store.createGroup(ref, ZERO_CURSOR)).toBe(false);
      const latest: GroupRef = { ...ref, group: 'from-latest' };
      expect(await store.createGroup(latest, (events[2] as StoredEvent).id)).toBe(true);
      expect(await store.createGroup({ ...ref, channel: 'never-published', group: 'g' }, ZERO_CURSOR)).toBe(true);
      const all = await store.readGroup(ref, { consumer: 'a', limit: 10, blockMs: 0 });
      expect(all.entries.map((entry) => entry.event?.id)).toEqual(ids(events));
      expect(all.lost).toBeNull();
      expect((await store.readGroup(latest, { consumer: 'a', limit: 10, blockMs: 0 })).entries).toEqual([]);
      const fresh = await rail.publish({ channel: 'create', type: 'test.event', payload: { n: 3 } });
      expect(entryIds((await store.readGroup(latest, { consumer: 'a', limit: 10, blockMs: 0 })).entries)).toEqual([
        fresh.id,
      ]);
      const missing = await store
        .readGroup({ ...ref, group: 'nobody' }, { consumer: 'a', limit: 1, blockMs: 0 })
        .catch((error: unknown) => error);
      expect(isReplayRailError(missing)).toBe(true);
      expect(await store.groupInfo({ ...ref, group: 'nobody' })).toBeNull();
    });

    it('gives each entry to one consumer once, in order; acks clear the pending list', async () => {
      const { events, ref, store } = await setup('split', 5);
      const a = await store.readGroup(ref, { consumer: 'a', limit: 2, blockMs: 0 });
      const b = await store.readGroup(ref, { consumer: 'b', limit: 10, blockMs: 0 });
      expect([...entryIds(a.entries), ...entryIds(b.entries)]).toEqual(ids(events));
      expect(a.entries.every((entry) => entry.deliveries === 1 && entry.source === 'stream')).toBe(true);
      expect(a.entries[0]?.origin).toBe(events[0]?.id);
      expect(a.entries[0]?.event).toMatchObject({ id: events[0]?.id, payload: { n: 0 } });
      let info = await store.groupInfo(ref);
      expect(info).toMatchObject({ pending: 5, lag: 0, lastDelivered: events[4]?.id, deadLetters: 0 });
      expect(Object.fromEntries((info?.consumers ?? []).map((consumer) => [consumer.name, consumer.pending]))).toEqual({
        a: 2,
        b: 3,
      });
      expect(await store.ack(ref, a.entries)).toBe(2);
      expect(await store.ack(ref, a.entries)).toBe(0);
      info = await store.groupInfo(ref);
      expect(info?.pending).toBe(3);
    });

    it('waits for a new entry up to blockMs, and returns nothing after it', async () => {
      const { rail, ref, store } = await setup('block', 0);
      expect(await store.readGroup(ref, { consumer: 'a', limit: 5, blockMs: 100 })).toEqual({
        entries: [],
        lost: null,
      });
      const waiting = store.readGroup(ref, { consumer: 'a', limit: 5, blockMs: 5_000 });
      await sleep(50);
      const event = await rail.publish({ channel: 'block', type: 'test.event', payload: { n: 1 } });
      expect(entryIds((await waiting).entries)).toEqual([event.id]);
      const aborted = new AbortController();
      const pending = store.readGroup(ref, { consumer: 'a', limit: 5, blockMs: 5_000, signal: aborted.signal });
      aborted.abort(new Error('stop'));
      await expect(pending).rejects.toThrow('stop');
    });

    it('claims entries left idle by a consumer, counting each delivery; a touched entry stays put', async () => {
      const { ref, store } = await setup('claim', 3);
      const [first, second, third] = (await store.readGroup(ref, { consumer: 'dead', limit: 3, blockMs: 0 })).entries;
      if (first === undefined || second === undefined || third === undefined) throw new Error('expected 3 entries');
      await sleep(120);
      // The owner is alive for `second`: touching it resets its idle time.
      expect(await store.touch(ref, 'dead', [second])).toEqual([]);
      const claimed = await store.claimIdle(ref, { consumer: 'rescuer', minIdleMs: 100, limit: 10 });
      expect(entryIds(claimed.entries)).toEqual([first.id, third.id]);
      expect(claimed.entries.map((entry) => entry.deliveries)).toEqual([2, 2]);
      expect(claimed.entries[0]?.event?.id).toBe(first.id);
      expect(claimed.gone).toEqual([]);
      // The old owner no longer holds what was claimed.
      expect(await store.touch(ref, 'dead', [first, second])).toEqual([{ id: first.id, source: 'stream' }]);
      const failed = (n: number) => ({
        errorName: 'TypeError',
        errorMessage: `failure ${n}`,
        firstFailedAt: 1_000 * n,
        lastFailedAt: 1_000 * n + 1,
      });
      expect(await store.redeliver(ref, 'dead', first, 3, failed(1))).toBe(false);
      expect(claimed.entries[0]?.failure).toBeUndefined();
      expect(await store.redeliver(ref, 'rescuer', first, 4, failed(1))).toBe(true);
      expect(await store.redeliver(ref, 'rescuer', first, 5, failed(2))).toBe(true);
      await sleep(120);
      // The next consumer learns the count and the failures: the last one, since the first.
      const again = await store.claimIdle(ref, { consumer: 'other', minIdleMs: 100, limit: 10 });
      const recovered = again.entries.find((entry) => entry.id === first.id);
      expect(recovered?.deliveries).toBe(6);
      expect(recovered?.failure).toEqual({
        errorName: 'TypeError',
        errorMessage: 'failure 2',
        firstFailedAt: 1_000,
        lastFailedAt: 2_001,
      });
      // Acknowledged: its failures are forgotten.
      await store.ack(ref, [first]);
      expect(await store.redeliver(ref, 'other', third, 3, failed(3))).toBe(true);
      await sleep(120);
      const last = await store.claimIdle(ref, { consumer: 'dead', minIdleMs: 100, limit: 10 });
      expect(last.entries.map((entry) => [entry.id, entry.failure?.errorMessage])).toEqual([
        [second.id, undefined],
        [third.id, 'failure 3'],
      ]);
    });

    it('lists the entries pending on one consumer, changing nothing', async () => {
      const { ref, store } = await setup('mine', 4);
      const mine = (await store.readGroup(ref, { consumer: 'me', limit: 3, blockMs: 0 })).entries;
      await store.readGroup(ref, { consumer: 'other', limit: 1, blockMs: 0 });
      await store.ack(ref, [mine[1] as GroupEntry]);
      const pending = await store.pendingOf(ref, 'me', 10);
      expect(pending.map((entry) => [entry.id, entry.deliveries, entry.event?.id])).toEqual([
        [mine[0]?.id, 1, mine[0]?.id],
        [mine[2]?.id, 1, mine[2]?.id],
      ]);
      expect(entryIds(await store.pendingOf(ref, 'me', 1))).toEqual([mine[0]?.id]);
      expect((await store.pendingOf(ref, 'me', 10)).map((entry) => entry.deliveries)).toEqual([1, 1]);
      expect(await store.pendingOf(ref, 'nobody', 10)).toEqual([]);
    });

    it('reports pending entries that are no longer in the stream as gone, and drops them', async () => {
      const { context, ref, store } = await setup('gone', 4);
      const read = await store.readGroup(ref, { consumer: 'dead', limit: 4, blockMs: 0 });
      await context.harness.trim(ref, 2);
      await sleep(60);
      const claimed = await store.claimIdle(ref, { consumer: 'rescuer', minIdleMs: 50, limit: 10 });
      expect(entryIds(claimed.entries)).toEqual(entryIds(read.entries.slice(2)));
      expect(claimed.gone.map((entry) => entry.id)).toEqual(entryIds(read.entries.slice(0, 2)));
      expect((await store.groupInfo(ref))?.pending).toBe(2);
    });

    it('moves a failed entry to the dead letters with why, once; redrives it, and discards', async () => {
      const { events, ref, store } = await setup('dead', 2);
      const [entry] = (await store.readGroup(ref, { consumer: 'a', limit: 1, blockMs: 0 })).entries;
      if (entry === undefined) throw new Error('expected an entry');
      const deadId = await store.deadLetter(ref, entry, failure('a', 3));
      expect(deadId).not.toBeNull();
      expect(await store.deadLetter(ref, entry, failure('a', 3))).toBeNull();
      const letters = await store.deadLetters(ref, { limit: 10 });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        id: deadId,
        entry: { id: entry.id, source: 'stream' },
        origin: events[0]?.id,
        event: { id: events[0]?.id, payload: { n: 0 } },
        errorName: 'Error',
        errorMessage: 'attempt 3 failed',
        attempts: 3,
        firstFailedAt: 1_700_000_000_000,
        lastFailedAt: 1_700_000_000_500,
        consumer: 'a',
      });
      let info = await store.groupInfo(ref);
      expect(info).toMatchObject({ pending: 0, deadLetters: 1, redriving: 0 });

      expect(await store.redrive(ref, 'all')).toBe(1);
      info = await store.groupInfo(ref);
      expect(info).toMatchObject({ deadLetters: 0, redriving: 1 });
      // Redriven entries come first, as the event they were, with a fresh delivery count.
      const read = await store.readGroup(ref, { consumer: 'b', limit: 10, blockMs: 0 });
      expect(read.entries.map((e) => [e.source, e.origin, e.deliveries])).toEqual([
        ['redrive', events[0]?.id, 1],
        ['stream', events[1]?.id, 1],
      ]);
      expect(read.entries[0]?.event).toMatchObject({ id: events[0]?.id, payload: { n: 0 } });
      // Dead again: the dead letter remembers where it was and what it is.
      const redriven = read.entries[0] as GroupEntry;
      await store.deadLetter(ref, redriven, failure('b', 1));
      const [again] = await store.deadLetters(ref, { limit: 10 });
      expect(again).toMatchObject({ entry: { source: 'redrive', id: redriven.id }, origin: events[0]?.id });
      expect(await store.discard(ref, [again?.id as string])).toBe(1);
      expect(await store.deadLetters(ref, { limit: 10 })).toEqual([]);
      expect(await store.ack(ref, read.entries)).toBe(1);
      expect((await store.groupInfo(ref))?.pending).toBe(0);
    });

    it('delivers an entry that cannot be decoded with its error, and dead-letters its raw fields', async () => {
      const { context, ref, store } = await setup('poison', 0);
      const fields = {
        event_id: 'evt-bad',
        channel: 'poison',
        type: 'test.event',
        payload: '{"n": NaN}',
        actor: 'null',
        metadata: '{}',
        created_at: '2026-01-01T00:00:00Z',
      };
      const id = await context.harness.appendRaw(ref, fields);
      const [entry] = (await store.readGroup(ref, { consumer: 'a', limit: 5, blockMs: 0 })).entries;
      expect(entry).toMatchObject({ id, event: undefined, error: { code: 'serialization_error' }, fields });
      await store.deadLetter(ref, entry as GroupEntry, failure('a', 1));
      const [letter] = await store.deadLetters(ref, { limit: 5 });
      expect(letter).toMatchObject({ origin: id, event: undefined, fields });
    });

    it('reports entries trimmed before the group read them, once, and goes on after them', async () => {
      const { context, rail, events, ref, store } = await setup('lost', 3);
      expect(entryIds((await store.readGroup(ref, { consumer: 'a', limit: 1, blockMs: 0 })).entries)).toEqual([
        events[0]?.id,
      ]);
      const more = await context.publishMany(rail, 'lost', 4);
      await context.harness.trim(ref, 2); // keeps the last two of the seven
      const read = await store.readGroup(ref, { consumer: 'a', limit: 10, blockMs: 0 });
      expect(read.lost).toEqual({ after: events[0]?.id, before: more[2]?.id, count: 4 });
      expect(entryIds(read.entries)).toEqual(ids(more.slice(2)));
      const next = await store.readGroup(ref, { consumer: 'a', limit: 10, blockMs: 0 });
      expect(next).toEqual({ entries: [], lost: null });
      // Trimmed to nothing: the count is still known.
      await context.publishMany(rail, 'lost', 2);
      await context.harness.trim(ref, 0);
      const emptied = await store.readGroup(ref, { consumer: 'a', limit: 10, blockMs: 0 });
      expect(emptied.lost).toEqual({ after: more[3]?.id, before: null, count: 2 });
    });

    it('removes idle consumers that hold nothing, never one with pending entries', async () => {
      const { ref, store } = await setup('consumers', 3);
      // A consumer is known once it is given entries (as in Redis 7.0).
      await store.readGroup(ref, { consumer: 'holder', limit: 1, blockMs: 0 });
      const done = await store.readGroup(ref, { consumer: 'empty-handed', limit: 1, blockMs: 0 });
      await store.ack(ref, done.entries);
      await store.readGroup(ref, { consumer: 'me', limit: 1, blockMs: 0 });
      await store.ack(ref, (await store.claimIdle(ref, { consumer: 'me', minIdleMs: 60_000, limit: 1 })).entries);
      await sleep(80);
      expect(await store.removeIdleConsumers(ref, 60_000, 'me')).toEqual([]);
      expect(await store.removeIdleConsumers(ref, 50, 'me')).toEqual(['empty-handed']);
      const names = (await store.groupInfo(ref))?.consumers.map((consumer) => consumer.name).sort();
      expect(names).toEqual(['holder', 'me']);
    });
  });
}
