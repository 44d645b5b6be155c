import { describe, expect } from 'vitest';
import { compareCursors } from '../cursor.js';
import { StoreError } from '../errors.js';
import type { DurableStreamRef, DurableStreamStore } from '../store/durable-stream-store.js';
import type { Cursor } from '../types.js';
import type { ConformanceContext } from './context.js';
import {
  appendOf,
  claim,
  closeOf,
  createOf,
  dataOf,
  durableIt,
  expectGone,
  fill,
  JSON_TYPE,
  readAll,
  sleep,
} from './durable-fixtures.js';
import { durableForkTests } from './durable-forks.js';
import { durableProducerTests } from './durable-producers.js';

/** Options of the durable-stream section. */
export interface DurableStreamTestOptions {
  readonly propertyRuns: number;
}

// A read after `after` must throw ReplayWindowExpiredError (not a reset) and return nothing.

/**
 * The durable-stream section of the conformance suite (docs/durable-streams.md):
 * `store.durableStreams`, the storage of the Durable Streams protocol. Skipped for a
 * store without it.
 */
export function durableStreamTests(ctx: () => ConformanceContext, options: DurableStreamTestOptions): void {
  describe('durable streams (store.durableStreams)', () => {
    durableIt(
      ctx,
      'creates a stream with its configuration and an empty tail; a new incarnation has another id',
      async ({ streams, ref }) => {
        const doc = ref('/docs/a');
        expect(await streams.info(doc)).toBeNull();
        expect(await streams.read(doc, { after: '0-0', limit: 10, blockMs: 0 })).toBeNull();
        const created = await streams.create(doc, createOf({ contentType: 'application/json; charset=utf-8' }));
        expect(created).toEqual({
          kind: 'created',
          info: {
            id: expect.any(String),
            contentType: 'application/json; charset=utf-8',
            ttlSeconds: null,
            expiresAt: null,
            closed: false,
            tail: '0-0',
          },
        });
        expect(created.info.id).not.toBe('');
        expect(await streams.info(doc)).toEqual(created.info);
        expect(await streams.read(doc, { after: '0-0', limit: 10, blockMs: 0 })).toEqual({
          messages: [],
          info: created.info,
        });
        expect(await streams.delete(doc)).toBe(true);
        expect(await streams.delete(doc)).toBe(false);
        expect(await streams.info(doc)).toBeNull();
        expect(await streams.append(doc, appendOf(['1']))).toEqual({ kind: 'not-found' });
        const again = await streams.create(doc, createOf());
        expect(again.kind).toBe('created');
        expect(again.info.id).not.toBe(created.info.id);
        // Another prefix is another stream.
        expect(await streams.info({ prefix: `${doc.prefix}-other`, path: doc.path })).toBeNull();
      },
    );

    durableIt(
      ctx,
      'creates with first messages (text and base64 kept as given), and closed when asked',
      async ({ streams, ref }) => {
        const doc = ref('/docs/first');
        const messages = [
          { data: '{"a":1}', base64: false },
          { data: 'AAEC/w==', base64: true },
          { data: '"é ✓ 😀"', base64: false },
        ];
        const created = await streams.create(doc, createOf({}, { messages }));
        const stored = await readAll(streams, doc);
        expect(stored.map(({ data, base64 }) => ({ data, base64 }))).toEqual(messages);
        const ids = stored.map(({ id }) => id);
        expect([...ids].sort(compareCursors)).toEqual(ids);
        expect(new Set(ids).size).toBe(3);
        expect(created.info.tail).toBe(ids[2]);

        const final = ref('/docs/final');
        const closed = await streams.create(final, createOf({}, { closed: true, messages: [messages[0] as never] }));
        expect(closed.kind).toBe('created');
        expect(closed.info.closed).toBe(true);
        expect(dataOf(await readAll(streams, final))).toEqual(['{"a":1}']);
        expect((await streams.append(final, appendOf(['2']))).kind).toBe('closed');

        const empty = await streams.create(ref('/docs/empty'), createOf({}, { closed: true }));
        expect(empty.info).toMatchObject({ closed: true, tail: '0-0' });
      },
    );

    durableIt(
      ctx,
      'answers a second create: exists for the same configuration and closure, else conflict',
      async ({ streams, ref }) => {
        const doc = ref('/docs/same');
        const { info } = await streams.create(
          doc,
          createOf({ contentType: 'application/json; charset=utf-8', ttlSeconds: 3600 }),
        );
        // The content type compared as a media type; the body of an existing stream's create is not written.
        expect(
          await streams.create(
            doc,
            createOf(
              { contentType: 'Application/JSON', ttlSeconds: 3600 },
              { messages: [{ data: '1', base64: false }] },
            ),
          ),
        ).toEqual({ kind: 'exists', info });
        expect(await readAll(streams, doc)).toEqual([]);
        for (const config of [
          { contentType: 'text/plain', ttlSeconds: 3600 },
          { ttlSeconds: 60 },
          { ttlSeconds: null },
          { ttlSeconds: 3600, expiresAt: Date.now() + 3_600_000 },
        ]) {
          expect(await streams.create(doc, createOf(config))).toEqual({ kind: 'conflict', info });
        }

        const until = Date.now() + 3_600_000;
        const dated = ref('/docs/dated');
        const first = await streams.create(dated, createOf({ expiresAt: until }));
        expect(first.info.expiresAt).toBe(until);
        expect((await streams.create(dated, createOf({ expiresAt: until }))).kind).toBe('exists');
        expect((await streams.create(dated, createOf({ expiresAt: until + 1 }))).kind).toBe('conflict');

        // Closure is part of what must match.
        expect((await streams.create(doc, createOf({ ttlSeconds: 3600 }, { closed: true }))).kind).toBe('conflict');
        expect((await streams.append(doc, closeOf())).kind).toBe('appended');
        const closed = await streams.create(doc, createOf({ ttlSeconds: 3600 }));
        expect(closed.kind).toBe('conflict');
        expect(closed.info.closed).toBe(true);
        expect((await streams.create(doc, createOf({ ttlSeconds: 3600 }, { closed: true }))).kind).toBe('exists');
      },
    );

    durableIt(
      ctx,
      'appends in order, each append answering the new tail, and pages reads after a position',
      async ({ streams, ref }) => {
        const doc = ref('/docs/log');
        expect(await streams.append(doc, appendOf(['0']))).toEqual({ kind: 'not-found' });
        await streams.create(doc, createOf());
        const tails: Cursor[] = [];
        for (const batch of [['1', '2'], ['3'], ['4', '5']]) {
          const result = await streams.append(doc, appendOf(batch));
          expect(result.kind).toBe('appended');
          if (result.kind === 'appended') tails.push(result.info.tail);
        }
        const all = await readAll(streams, doc);
        expect(dataOf(all)).toEqual(['1', '2', '3', '4', '5']);
        const ids = all.map(({ id }) => id);
        expect(tails).toEqual([ids[1], ids[2], ids[4]]);
        expect([...ids].sort(compareCursors)).toEqual(ids);
        const page = (after: Cursor, limit: number) => streams.read(doc, { after, limit, blockMs: 0 });
        expect(dataOf((await page('0-0', 2))?.messages ?? [])).toEqual(['1', '2']);
        expect(dataOf((await page(ids[1] as Cursor, 2))?.messages ?? [])).toEqual(['3', '4']);
        const end = await page(ids[4] as Cursor, 10);
        expect(end?.messages).toEqual([]);
        expect(end?.info).toMatchObject({ tail: ids[4], closed: false });
        expect((await streams.info(doc))?.tail).toBe(ids[4]);
      },
    );

    durableIt(
      ctx,
      'checks the content type of messages as a media type, and not that of a close-only append',
      async ({ streams, ref }) => {
        const doc = ref('/docs/typed');
        await streams.create(doc, createOf({ contentType: 'application/json; charset=utf-8' }));
        for (const contentType of ['APPLICATION/json', 'application/json;charset=latin1', JSON_TYPE]) {
          expect((await streams.append(doc, appendOf(['1'], { contentType }))).kind).toBe('appended');
        }
        const mismatch = await streams.append(doc, appendOf(['2'], { contentType: 'text/plain' }));
        expect(mismatch.kind).toBe('content-type-mismatch');
        expect(dataOf(await readAll(streams, doc))).toEqual(['1', '1', '1']);
        const close = await streams.append(doc, closeOf({ contentType: 'text/plain' }));
        expect(close.kind).toBe('appended');
        expect((await streams.info(doc))?.closed).toBe(true);
      },
    );

    durableIt(
      ctx,
      'closes: close-only, or with a final append in one step; then refuses appends',
      async ({ streams, ref }) => {
        const doc = ref('/docs/closing');
        await streams.create(doc, createOf());
        const closed = await streams.append(doc, closeOf());
        expect(closed).toEqual({ kind: 'appended', info: expect.objectContaining({ closed: true, tail: '0-0' }) });
        expect(await streams.append(doc, appendOf(['x']))).toEqual({ kind: 'closed', info: await streams.info(doc) });
        // A close-only append again: `closed`, which the protocol answers 204.
        expect((await streams.append(doc, closeOf())).kind).toBe('closed');
        expect(await readAll(streams, doc)).toEqual([]);

        const final = ref('/docs/final-append');
        await streams.create(final, createOf());
        await streams.append(final, appendOf(['a']));
        const last = await streams.append(final, appendOf(['b'], { close: true }));
        const all = await readAll(streams, final);
        expect(dataOf(all)).toEqual(['a', 'b']);
        expect(last).toEqual({ kind: 'appended', info: expect.objectContaining({ closed: true, tail: all[1]?.id }) });
        const refused = await streams.append(final, appendOf(['c']));
        expect(refused).toEqual({ kind: 'closed', info: expect.objectContaining({ closed: true, tail: all[1]?.id }) });
        const read = await streams.read(final, { after: '0-0', limit: 10, blockMs: 0 });
        expect(read?.info.closed).toBe(true);
      },
    );

    durableIt(
      ctx,
      'checks closure first, then the content type, then the producer, then Stream-Seq',
      async ({ streams, ref }) => {
        const doc = ref('/docs/precedence');
        await streams.create(doc, createOf());
        expect((await streams.append(doc, appendOf(['1'], { streamSeq: '5' }))).kind).toBe('appended');
        const gap = claim('p', 0, 3);
        const wrongType = appendOf(['2'], { contentType: 'text/plain', producer: gap, streamSeq: '1' });
        expect((await streams.append(doc, wrongType)).kind).toBe('content-type-mismatch');
        const gapped = await streams.append(doc, appendOf(['2'], { producer: gap, streamSeq: '1' }));
        expect(gapped.kind).toBe('sequence-gap');
        const regression = await streams.append(doc, appendOf(['2'], { producer: claim('p', 0, 0), streamSeq: '1' }));
        expect(regression).toEqual({ kind: 'stream-seq-regression', info: expect.anything(), last: '5' });
        // Nothing was written by any of them: the producer's first claim still bootstraps.
        expect((await streams.append(doc, appendOf(['2'], { producer: claim('p', 0, 0), streamSeq: '6' }))).kind).toBe(
          'appended',
        );
        // A retry carrying its old Stream-Seq is a duplicate: the producer is checked first.
        const retry = await streams.append(doc, appendOf(['2'], { producer: claim('p', 0, 0), streamSeq: '6' }));
        expect(retry).toEqual({ kind: 'duplicate', info: expect.anything(), lastSeq: 0 });
        await streams.append(doc, closeOf());
        const all = appendOf(['3'], { contentType: 'text/plain', producer: claim('p', 0, 9), streamSeq: '0' });
        expect((await streams.append(doc, all)).kind).toBe('closed');
        expect(dataOf(await readAll(streams, doc))).toEqual(['1', '2']);
      },
    );

    durableIt(
      ctx,
      'orders Stream-Seq byte-wise and keeps only the Stream-Seq of stored appends',
      async ({ streams, ref }) => {
        const doc = ref('/docs/seq');
        await streams.create(doc, createOf());
        const append = (streamSeq: string, contentType = JSON_TYPE) =>
          streams.append(doc, appendOf([JSON.stringify(streamSeq)], { streamSeq, contentType }));
        expect((await append('9')).kind).toBe('appended');
        for (const stale of ['9', '10', '0']) {
          expect(await append(stale)).toEqual({ kind: 'stream-seq-regression', info: expect.anything(), last: '9' });
        }
        expect((await append('90')).kind).toBe('appended');
        // Refused for another reason: its Stream-Seq is not kept.
        expect((await append('z', 'text/plain')).kind).toBe('content-type-mismatch');
        expect((await append('a')).kind).toBe('appended');
        // Byte-wise, as UTF-8: U+10000 sorts after U+FFFF (UTF-16 code units would not).
        expect((await append('\uffff')).kind).toBe('appended');
        expect((await append('\u{10000}')).kind).toBe('appended');
        // A close-only append with a Stream-Seq is checked too.
        expect((await streams.append(doc, closeOf({ streamSeq: 'b' }))).kind).toBe('stream-seq-regression');
        expect(dataOf(await readAll(streams, doc))).toEqual(['"9"', '"90"', '"a"', '"\uffff"', '"\u{10000}"']);
      },
    );

    durableIt(
      ctx,
      'throws ReplayWindowExpiredError for a position before retained history, by length',
      async ({ streams, ref }) => {
        const doc = ref('/docs/retained');
        await streams.create(doc, createOf());
        const ids = await fill(streams, doc, 250);
        // Trimmed to about 10, as channels are (`MAXLEN ~` keeps at least that many).
        const appended = await streams.append(
          doc,
          appendOf(['"last"'], { retention: { maxLength: 10, maxAgeMs: null } }),
        );
        expect(appended.kind).toBe('appended');
        const all = [...ids, appended.kind === 'appended' ? appended.info.tail : ''];
        await expectRetainedSuffix(streams, doc, all, 10);
      },
    );

    durableIt(ctx, 'trims by age when it appends, keeping what is newer', async ({ streams, ref }) => {
      const doc = ref('/docs/aged');
      await streams.create(doc, createOf());
      const ids = await fill(streams, doc, 250);
      await sleep(150);
      const appended = await streams.append(doc, appendOf(['"new"'], { retention: { maxLength: null, maxAgeMs: 50 } }));
      const all = [...ids, appended.kind === 'appended' ? appended.info.tail : ''];
      await expectRetainedSuffix(streams, doc, all, 1);
    });

    durableIt(
      ctx,
      'wakes a blocking read with an append or a close; returns an empty page at its timeout',
      async ({ streams, ref }) => {
        const doc = ref('/docs/live');
        await streams.create(doc, createOf());
        const pending = streams.read(doc, { after: '0-0', limit: 10, blockMs: 5_000 });
        await sleep(50);
        await streams.append(ref('/docs/other'), appendOf(['"elsewhere"']));
        await streams.append(doc, appendOf(['"x"']));
        const woken = await pending;
        expect(dataOf(woken?.messages ?? [])).toEqual(['"x"']);
        const tail = woken?.info.tail as Cursor;
        const quiet = await streams.read(doc, { after: tail, limit: 10, blockMs: 50 });
        expect(quiet).toEqual({ messages: [], info: expect.objectContaining({ tail, closed: false }) });

        const waiting = streams.read(doc, { after: tail, limit: 10, blockMs: 10_000 });
        await sleep(50);
        await streams.append(doc, closeOf());
        expect(await waiting).toEqual({ messages: [], info: expect.objectContaining({ tail, closed: true }) });
        // At the end of a closed stream nothing can come: no wait (the test would time out).
        const ended = await streams.read(doc, { after: tail, limit: 10, blockMs: 60_000 });
        expect(ended?.info.closed).toBe(true);

        const controller = new AbortController();
        const gone = ref('/docs/gone');
        await streams.create(gone, createOf());
        const aborted = streams.read(gone, { after: '0-0', limit: 10, blockMs: 10_000, signal: controller.signal });
        const reason = new Error('caller gave up');
        controller.abort(reason);
        await expect(aborted).rejects.toBe(reason);
        const deleted = streams.read(gone, { after: '0-0', limit: 10, blockMs: 10_000 });
        await sleep(50);
        await streams.delete(gone);
        expect(await deleted).toBeNull();
      },
    );

    durableIt(ctx, 'ends a pending read with a StoreError when the store closes', async ({ streams, ref, context }) => {
      const doc = ref('/docs/closing-store');
      await streams.create(doc, createOf());
      const pending = streams.read(doc, { after: '0-0', limit: 10, blockMs: 10_000 });
      await sleep(30);
      await context.harness.store.close();
      await expect(pending).rejects.toBeInstanceOf(StoreError);
    });

    durableIt(
      ctx,
      'expires a stream at expiresAt: gone for every call; a create makes a new incarnation',
      async ({ streams, ref }) => {
        const past = ref('/docs/past');
        expect((await streams.create(past, createOf({ expiresAt: Date.now() - 1_000 }))).kind).toBe('created');
        expect(await streams.info(past)).toBeNull();
        expect(await streams.read(past, { after: '0-0', limit: 10, blockMs: 0 })).toBeNull();
        expect(await streams.append(past, appendOf(['1']))).toEqual({ kind: 'not-found' });
        expect(await streams.delete(past)).toBe(false);

        const soon = ref('/docs/soon');
        const first = await streams.create(soon, createOf({ expiresAt: Date.now() + 300 }));
        await streams.append(soon, appendOf(['1']));
        expect(await streams.info(soon)).not.toBeNull();
        await sleep(600);
        expect(await streams.info(soon)).toBeNull();
        expect(await streams.append(soon, appendOf(['2']))).toEqual({ kind: 'not-found' });
        const again = await streams.create(soon, createOf({ expiresAt: Date.now() + 60_000 }));
        expect(again.kind).toBe('created');
        expect(again.info.id).not.toBe(first.info.id);
        expect(await readAll(streams, soon)).toEqual([]);
      },
    );

    durableIt(
      ctx,
      'slides a TTL on reads and appends, not on info',
      async ({ streams, ref }) => {
        const looked = ref('/docs/looked-at');
        const used = ref('/docs/used');
        await streams.create(looked, createOf({ ttlSeconds: 1 }));
        await streams.create(used, createOf({ ttlSeconds: 1 }));
        await sleep(500);
        expect(await streams.info(looked)).not.toBeNull();
        expect(await streams.read(used, { after: '0-0', limit: 10, blockMs: 0 })).not.toBeNull();
        await sleep(700);
        // 1.2 s after its create, only looked at: gone. Read 0.7 s ago: still there.
        expect(await streams.info(looked)).toBeNull();
        expect(await streams.info(used)).not.toBeNull();
        expect((await streams.append(used, appendOf(['1']))).kind).toBe('appended');
        await sleep(700);
        expect(await streams.info(used)).not.toBeNull();
      },
      10_000,
    );

    durableIt(ctx, 'refuses bad input with InvalidRequestError, changing nothing', async ({ streams, ref }) => {
      const refused = { code: 'invalid_request' };
      for (const path of ['', 'x'.repeat(1025), 'a\0b']) {
        const bad = ref(path);
        await expect(streams.create(bad, createOf())).rejects.toMatchObject(refused);
        await expect(streams.append(bad, appendOf(['1']))).rejects.toMatchObject(refused);
        await expect(streams.read(bad, { after: '0-0', limit: 10, blockMs: 0 })).rejects.toMatchObject(refused);
        await expect(streams.info(bad)).rejects.toMatchObject(refused);
        await expect(streams.delete(bad)).rejects.toMatchObject(refused);
      }
      expect((await streams.create(ref('x'.repeat(1024)), createOf())).kind).toBe('created');

      const doc = ref('/docs/checked');
      await streams.create(doc, createOf());
      for (const producer of [
        claim('', 0, 0),
        claim('p'.repeat(257), 0, 0),
        claim('p', -1, 0),
        claim('p', 0, 1.5),
        claim('p', 2 ** 53, 0),
      ]) {
        await expect(streams.append(doc, appendOf(['1'], { producer }))).rejects.toMatchObject(refused);
      }
      await expect(streams.append(doc, appendOf([]))).rejects.toMatchObject(refused);
      await expect(streams.read(doc, { after: '0-0', limit: 0, blockMs: 0 })).rejects.toMatchObject(refused);
      expect(await streams.info(doc)).toMatchObject({ tail: '0-0', closed: false });
      // Nothing of the refused claims was kept: `p` still starts at 0.
      expect((await streams.append(doc, appendOf(['1'], { producer: claim('p', 0, 0) }))).kind).toBe('appended');
      const longest = claim('p'.repeat(256), 0, 0);
      expect((await streams.append(doc, appendOf(['2'], { producer: longest }))).kind).toBe('appended');
    });

    durableProducerTests(ctx, options);
    durableForkTests(ctx);
  });
}

// After a trim: the retained messages are a suffix of `all` holding at least its last
// `kept`; a position in the trimmed part expires (the last trimmed one too: the rule's
// one false positive), one in the retained part does not.
async function expectRetainedSuffix(
  streams: DurableStreamStore,
  ref: DurableStreamRef,
  all: readonly Cursor[],
  kept: number,
): Promise<void> {
  const retained = (await readAll(streams, ref)).map(({ id }) => id);
  const first = all.indexOf(retained[0] as Cursor);
  expect(first).toBeGreaterThan(0);
  expect(retained).toEqual(all.slice(first));
  expect(retained.length).toBeGreaterThanOrEqual(kept);
  await expectGone(streams.read(ref, { after: all[0] as Cursor, limit: 10, blockMs: 0 }));
  await expectGone(streams.read(ref, { after: all[first - 1] as Cursor, limit: 10, blockMs: 0 }));
  const after = await streams.read(ref, { after: all[first] as Cursor, limit: 1_000, blockMs: 0 });
  expect(after?.messages.map(({ id }) => id)).toEqual(all.slice(first + 1));
  expect((await streams.read(ref, { after: '0-0', limit: 1, blockMs: 0 }))?.messages[0]?.id).toBe(all[first]);
  expect((await streams.read(ref, { after: all[all.length - 1] as Cursor, limit: 10, blockMs: 0 }))?.messages).toEqual(
    [],
  );
}
