import { describe, expect, it } from 'vitest';
import { nextCursor, parseCursor } from '../cursor.js';
import { ReplayWindowExpiredError, StreamResetError } from '../errors.js';
import type { ReplayRail } from '../rail.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids, nextMillisecond } from './context.js';

function at(events: readonly StoredEvent[], index: number): string {
  const event = events[index];
  if (event === undefined) throw new Error(`no event at ${index}`);
  return event.id;
}

// Expiry must come with zero events: the page call throws instead of returning part.
async function expectExpired(
  rail: ReplayRail,
  channel: string,
  after: string,
  kind: typeof ReplayWindowExpiredError | typeof StreamResetError = ReplayWindowExpiredError,
): Promise<void> {
  const error = await rail.replay(channel, { after }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(kind);
  if (kind === ReplayWindowExpiredError) expect(error).not.toBeInstanceOf(StreamResetError);
  expect((error as ReplayWindowExpiredError).status).toEqual({ http: 410, ws: 4410 });
  await expect(rail.read(channel, { after, blockMs: 0 })).rejects.toBeInstanceOf(kind);
}

export function retentionTests(ctx: () => ConformanceContext): void {
  describe('retention and expiry', () => {
    it('trims to exactly maxStreamLength when trimming is exact', async () => {
      const { rail: makeRail, publishMany, all } = ctx();
      const rail = makeRail({ maxStreamLength: 5, approximateTrimming: false });
      const events = await publishMany(rail, 'exact', 12);
      expect(ids(await all(rail, 'exact'))).toEqual(ids(events.slice(7)));
    });

    it('keeps at least maxStreamLength, newest last, when trimming is approximate', async () => {
      const { rail: makeRail, publishMany, all } = ctx();
      const rail = makeRail({ maxStreamLength: 5 });
      const events = await publishMany(rail, 'approx', 12);
      const kept = await all(rail, 'approx');
      expect(kept.length).toBeGreaterThanOrEqual(5);
      expect(ids(kept)).toEqual(ids(events.slice(events.length - kept.length)));
    });

    it('reports expiry for a cursor older than the first retained event, and serves the boundary', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: 5, approximateTrimming: false });
      const events = await publishMany(rail, 'trimmed', 12);
      await expectExpired(rail, 'trimmed', at(events, 2));
      await expectExpired(rail, 'trimmed', at(events, 0));
      // The first retained event as cursor: nothing after it is missing.
      expect(ids((await rail.replay('trimmed', { after: at(events, 7) })).events)).toEqual(ids(events.slice(8)));
      // 0-0 asks for whatever is retained; it never expires.
      expect(ids((await rail.replay('trimmed', { after: '0-0' })).events)).toEqual(ids(events.slice(7)));
      expect(ids((await rail.replay('trimmed')).events)).toEqual(ids(events.slice(7)));
    });

    it('never reports expiry on a stream that never lost an entry, however old the cursor', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const events = await publishMany(rail, 'kept', 8);
      expect(ids((await rail.replay('kept', { after: at(events, 0) })).events)).toEqual(ids(events.slice(1)));
    });

    it('reports expiry when an entry after the cursor was deleted (XDEL), not before it', async () => {
      const { rail: makeRail, publishMany, harness, stream } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const events = await publishMany(rail, 'deleted', 6);
      await harness.deleteEntries(stream('deleted'), [at(events, 3)]);
      await expectExpired(rail, 'deleted', at(events, 1));
      await expectExpired(rail, 'deleted', at(events, 2));
      // The deleted entry itself, and cursors after it: nothing after them is missing.
      expect(ids((await rail.replay('deleted', { after: at(events, 3) })).events)).toEqual(ids(events.slice(4)));
      expect(ids((await rail.replay('deleted', { after: at(events, 4) })).events)).toEqual([at(events, 5)]);
    });

    it('reports expiry when the head was deleted and the cursor is before the first retained', async () => {
      const { rail: makeRail, publishMany, harness, stream } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const events = await publishMany(rail, 'head', 4);
      await harness.deleteEntries(stream('head'), [at(events, 0), at(events, 1)]);
      await expectExpired(rail, 'head', at(events, 0));
      expect(ids((await rail.replay('head', { after: '0-0' })).events)).toEqual(ids(events.slice(2)));
    });

    it('reports a reset for a cursor newer than anything the stream generated', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'future', 3);
      const { ms } = parseCursor(at(events, 2));
      await expectExpired(rail, 'future', `${ms + 1000n}-0`, StreamResetError);
      await expectExpired(rail, 'future', nextCursor(at(events, 2)), StreamResetError);
    });

    it('reports a reset when the stream is gone but the cursor is not 0-0', async () => {
      const { rail: makeRail, publishMany, harness, stream } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'gone', 3);
      await harness.deleteStream(stream('gone'));
      await expectExpired(rail, 'gone', at(events, 1), StreamResetError);
      expect((await rail.replay('gone', { after: '0-0' })).events).toEqual([]);
      await expectExpired(rail, 'never-existed', '1-0', StreamResetError);
    });

    it('reports a reset for a cursor inside the stream that names no entry and no deletion explains', async () => {
      const rail = ctx().rail();
      const first = await rail.publish({ channel: 'holes', type: 't', payload: {} });
      await nextMillisecond(first);
      await rail.publish({ channel: 'holes', type: 't', payload: {} });
      // Between the two entries, never generated: what a failover to a lagging replica leaves.
      await expectExpired(rail, 'holes', nextCursor(first.id), StreamResetError);
    });

    it('reports expiry for since on a trimmed stream when the gap may hold events', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: 3, approximateTrimming: false });
      const events = await publishMany(rail, 'since-trimmed', 8);
      await expect(rail.replay('since-trimmed', { since: new Date(0) })).rejects.toBeInstanceOf(
        ReplayWindowExpiredError,
      );
      const firstKept = Number(parseCursor(at(events, 5)).ms);
      const page = await rail.replay('since-trimmed', { since: new Date(firstKept + 1) });
      expect(page.events.every((event) => Number(parseCursor(event.id).ms) >= firstKept + 1)).toBe(true);
    });

    it('rechecks expiry on every page of a long replay', async () => {
      const { rail: makeRail, publishMany, harness, stream } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const events = await publishMany(rail, 'paging', 10);
      const seen: StoredEvent[] = [];
      await expect(async () => {
        for await (const event of rail.replayAll('paging', { after: '0-0', pageSize: 3 })) {
          seen.push(event);
          // While the reader holds page one, the stream is trimmed past its position.
          if (seen.length === 1) await harness.trim(stream('paging'), 4);
        }
      }).rejects.toBeInstanceOf(ReplayWindowExpiredError);
      expect(ids(seen)).toEqual(ids(events.slice(0, 3)));
    });
  });
}
