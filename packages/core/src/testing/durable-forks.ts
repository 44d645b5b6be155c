import { expect } from 'vitest';
import { compareCursors } from '../cursor.js';
import { ReplayWindowExpiredError } from '../errors.js';
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
  forkOf,
  readAll,
  sleep,
} from './durable-fixtures.js';

// A call on a stream deleted while it had forks: 410, as ReplayWindowExpiredError (not a reset).

/**
 * Forks (`DurableStreamStore.fork`, docs/durable-streams.md, "Forks"): a copy of the
 * source up to the offset with the source's IDs, a sub-offset's part of what follows,
 * the source's count of live forks (a tombstone for a deleted source until they go,
 * never leaked by a refused fork), and an idempotent re-create. On a cluster the fork
 * and its source are in different slots, so every test there crosses them.
 */
export function durableForkTests(ctx: () => ConformanceContext): void {
  durableIt(
    ctx,
    'forks: copies the source up to the offset with its IDs; the fork then goes its own way',
    async ({ streams, ref }) => {
      const source = ref('/fork/source');
      await streams.create(source, createOf({ contentType: 'application/json; charset=utf-8', ttlSeconds: 3600 }));
      await streams.append(source, appendOf(['1', '2'], { producer: claim('p', 0, 0) }));
      await streams.append(source, appendOf(['3'], { streamSeq: 'b' }));
      const original = await readAll(streams, source);
      const ids = original.map(({ id }) => id);

      const fork = ref('/fork/at-2');
      const made = await streams.fork(fork, forkOf(source.path, { offset: ids[1] as Cursor }));
      expect(made).toEqual({
        kind: 'created',
        info: {
          id: expect.any(String),
          contentType: 'application/json; charset=utf-8',
          ttlSeconds: 3600,
          expiresAt: null,
          closed: false,
          tail: ids[1],
        },
      });
      expect(await readAll(streams, fork)).toEqual(original.slice(0, 2));
      // A stream of its own: reads from the source's offsets, appends after them.
      expect(dataOf(await readAll(streams, fork, ids[0]))).toEqual(['2']);
      const own = await streams.append(fork, appendOf(['"own"']));
      expect(own.kind).toBe('appended');
      await streams.append(source, appendOf(['"source only"']));
      const forked = await readAll(streams, fork);
      expect(dataOf(forked)).toEqual(['1', '2', '"own"']);
      expect(compareCursors(forked[2]?.id as Cursor, ids[1] as Cursor)).toBeGreaterThan(0);
      expect(dataOf(await readAll(streams, source))).toEqual(['1', '2', '3', '"source only"']);

      // Neither the producer's state nor Stream-Seq is inherited.
      expect((await streams.append(fork, appendOf(['4'], { producer: claim('p', 0, 0) }))).kind).toBe('appended');
      expect((await streams.append(fork, appendOf(['5'], { streamSeq: 'a' }))).kind).toBe('appended');

      // At the tail by default; at 0-0 nothing; a closed source's fork starts open.
      await streams.append(source, closeOf());
      const whole = await streams.fork(ref('/fork/whole'), forkOf(source.path));
      expect(whole.kind === 'created' && whole.info.closed).toBe(false);
      expect(dataOf(await readAll(streams, ref('/fork/whole')))).toEqual(['1', '2', '3', '"source only"']);
      const empty = await streams.fork(ref('/fork/empty'), forkOf(source.path, { offset: '0-0' }));
      expect(empty.kind === 'created' && empty.info.tail).toBe('0-0');
      expect(await readAll(streams, ref('/fork/empty'))).toEqual([]);
      // A fork of a fork, with the fork's own content type named and its own TTL.
      const again = await streams.fork(
        ref('/fork/again'),
        forkOf(fork.path, { contentType: 'application/json', ttlSeconds: 60, closed: true }),
      );
      expect(again.kind === 'created' && again.info).toMatchObject({ ttlSeconds: 60, closed: true });
      expect(dataOf(await readAll(streams, ref('/fork/again')))).toEqual(['1', '2', '"own"', '4', '5']);
    },
  );

  durableIt(ctx, 'forks: refuses what the source cannot give, in order', async ({ streams, ref }) => {
    const source = ref('/fork/refusing');
    await streams.create(source, createOf({ contentType: 'text/plain' }));
    await streams.append(source, appendOf(['hello'], { contentType: 'text/plain' }));
    const tail = (await streams.info(source))?.tail as Cursor;
    const fork = ref('/fork/refused');
    expect(await streams.fork(fork, forkOf('/fork/nowhere'))).toEqual({ kind: 'source-not-found' });
    expect(await streams.fork(fork, forkOf(source.path, { contentType: 'application/json', offset: '9-9' }))).toEqual({
      kind: 'content-type-mismatch',
      sourceContentType: 'text/plain',
    });
    const beyond = `${BigInt(tail.split('-')[0] as string) + 1n}-0`;
    expect(await streams.fork(fork, forkOf(source.path, { offset: beyond }))).toEqual({
      kind: 'offset-beyond-tail',
      tail,
    });
    expect(await streams.fork(fork, forkOf(source.path, { subOffset: 1 }))).toEqual({
      kind: 'sub-offset-overshoot',
      available: 0,
    });
    expect(await streams.fork(fork, forkOf(source.path, { offset: '0-0', subOffset: 6 }))).toEqual({
      kind: 'sub-offset-overshoot',
      available: 5,
    });
    await expect(streams.fork(fork, forkOf(source.path, { maxMessages: 0 }))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(streams.fork(fork, forkOf(source.path, { subOffset: -1 }))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(streams.fork(fork, forkOf(source.path, { offset: 'x' }))).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
    expect(await streams.info(fork)).toBeNull();
    // None of them counted a fork: the source is deleted outright, not kept as a tombstone.
    expect(await streams.delete(source)).toBe(true);
    expect(await streams.info(source)).toBeNull();
    expect((await streams.create(source, createOf())).kind).toBe('created');
  });

  durableIt(ctx, 'forks: refuses a fork that would copy more than maxMessages', async ({ streams, ref }) => {
    const source = ref('/fork/long');
    await streams.create(source, createOf());
    // Past one page of the Redis store's copy (256), so pages after the first are copied too.
    const ids = await fill(streams, source, 600);
    expect(await streams.fork(ref('/fork/too-long'), forkOf(source.path, { maxMessages: 599 }))).toEqual({
      kind: 'too-many-messages',
      limit: 599,
    });
    const offset = ids[549] as Cursor;
    expect(await streams.fork(ref('/fork/too-long'), forkOf(source.path, { offset, maxMessages: 549 }))).toEqual({
      kind: 'too-many-messages',
      limit: 549,
    });
    const made = await streams.fork(ref('/fork/long-enough'), forkOf(source.path, { offset, maxMessages: 550 }));
    expect(made.kind).toBe('created');
    expect((await readAll(streams, ref('/fork/long-enough'))).map(({ id }) => id)).toEqual(ids.slice(0, 550));
    expect(await streams.info(ref('/fork/too-long'))).toBeNull();
    // Only the fork made is counted: deleting it, then the source, leaves nothing.
    expect(await streams.delete(ref('/fork/long-enough'))).toBe(true);
    expect(await streams.delete(source)).toBe(true);
    expect(await streams.info(source)).toBeNull();
  });

  durableIt(
    ctx,
    'forks at a sub-offset: the first bytes of the next message, or the next JSON messages',
    async ({ streams, ref }) => {
      const text = ref('/fork/text');
      await streams.create(text, createOf({ contentType: 'text/plain' }));
      await streams.append(text, appendOf(['first'], { contentType: 'text/plain' }));
      await streams.append(text, appendOf(['h€llo'], { contentType: 'text/plain' }));
      const [first, second] = await readAll(streams, text);
      const cut = ref('/fork/cut');
      const made = await streams.fork(cut, forkOf(text.path, { offset: first?.id as Cursor, subOffset: 1 }));
      // The part taken is a message of the fork with the message's ID: the fork's tail.
      expect(made.kind === 'created' && made.info.tail).toBe(second?.id);
      expect(await readAll(streams, cut)).toEqual([first, { id: second?.id, data: 'h', base64: false }]);
      // Cut inside a character: the bytes are kept exactly, as base64.
      await streams.fork(ref('/fork/mid-char'), forkOf(text.path, { offset: first?.id as Cursor, subOffset: 2 }));
      expect((await readAll(streams, ref('/fork/mid-char')))[1]).toEqual({
        id: second?.id,
        data: 'aOI=',
        base64: true,
      });
      // The whole message: the message itself.
      await streams.fork(ref('/fork/all-of-it'), forkOf(text.path, { offset: first?.id as Cursor, subOffset: 7 }));
      expect(await readAll(streams, ref('/fork/all-of-it'))).toEqual([first, second]);
      // Composed: a fork of the cut fork, two bytes into its first message.
      const composed = ref('/fork/composed');
      await streams.fork(composed, forkOf(ref('/fork/all-of-it').path, { offset: '0-0', subOffset: 2 }));
      expect(await readAll(streams, composed)).toEqual([{ id: first?.id, data: 'fi', base64: false }]);
      await streams.append(composed, appendOf(['Z'], { contentType: 'text/plain' }));
      expect(dataOf(await readAll(streams, composed))).toEqual(['fi', 'Z']);

      const binary = ref('/fork/binary');
      await streams.create(binary, createOf({ contentType: 'application/octet-stream' }));
      await streams.append(binary, {
        ...appendOf([], { contentType: 'application/octet-stream' }),
        messages: [{ data: 'AAEC/w==', base64: true }],
      });
      await streams.fork(ref('/fork/binary-cut'), forkOf(binary.path, { offset: '0-0', subOffset: 3 }));
      expect(dataOf(await readAll(streams, ref('/fork/binary-cut')))).toEqual(['AAEC']);

      const json = ref('/fork/json');
      await streams.create(json, createOf());
      await streams.append(json, appendOf(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']));
      const values = await readAll(streams, json);
      await streams.fork(ref('/fork/json-2'), forkOf(json.path, { offset: '0-0', subOffset: 2 }));
      expect(await readAll(streams, ref('/fork/json-2'))).toEqual(values.slice(0, 2));
      await streams.fork(
        ref('/fork/json-mid'),
        forkOf(json.path, { offset: values[0]?.id as Cursor, subOffset: 3, messages: [{ data: '5', base64: false }] }),
      );
      // The first body follows what was inherited.
      expect(dataOf(await readAll(streams, ref('/fork/json-mid')))).toEqual([
        '{"a":1}',
        '{"b":2}',
        '{"c":3}',
        '{"d":4}',
        '5',
      ]);
      expect(await streams.fork(ref('/fork/json-over'), forkOf(json.path, { offset: '0-0', subOffset: 5 }))).toEqual({
        kind: 'sub-offset-overshoot',
        available: 4,
      });
    },
  );

  durableIt(
    ctx,
    'deleting a source with forks leaves a tombstone; deleting its last fork collects it, up the chain',
    async ({ streams, ref }) => {
      const [a, b, c] = [ref('/chain/a'), ref('/chain/b'), ref('/chain/c')];
      await streams.create(a, createOf());
      await streams.append(a, appendOf(['"a"'], { producer: claim('p', 0, 0) }));
      await streams.fork(b, forkOf(a.path));
      await streams.append(b, appendOf(['"b"']));
      await streams.fork(c, forkOf(b.path));
      await streams.append(c, appendOf(['"c"']));

      // A's waiting readers learn of the delete.
      const waiting = streams.read(a, { after: (await streams.info(a))?.tail as Cursor, limit: 10, blockMs: 10_000 });
      await sleep(50);
      expect(await streams.delete(a)).toBe(true);
      await expectGone(waiting);
      await expectGone(streams.info(a));
      await expectGone(streams.read(a, { after: '0-0', limit: 10, blockMs: 0 }));
      await expectGone(streams.append(a, appendOf(['"x"'])));
      await expectGone(streams.delete(a));
      expect((await streams.create(a, createOf())).kind).toBe('deleted');
      expect((await streams.fork(a, forkOf(b.path))).kind).toBe('deleted');
      expect(await streams.fork(ref('/chain/late'), forkOf(a.path))).toEqual({ kind: 'source-deleted' });
      // The forks keep what they copied.
      expect(dataOf(await readAll(streams, b))).toEqual(['"a"', '"b"']);
      expect(dataOf(await readAll(streams, c))).toEqual(['"a"', '"b"', '"c"']);

      expect(await streams.delete(b)).toBe(true);
      await expectGone(streams.info(b));
      expect(dataOf(await readAll(streams, c))).toEqual(['"a"', '"b"', '"c"']);
      // C was B's last fork, B was A's: all three go.
      expect(await streams.delete(c)).toBe(true);
      expect(await streams.info(c)).toBeNull();
      expect(await streams.info(b)).toBeNull();
      expect(await streams.info(a)).toBeNull();
      expect(await streams.delete(a)).toBe(false);
      expect((await streams.create(a, createOf())).kind).toBe('created');

      // A source with two forks: deleting one leaves the source as it was.
      const shared = ref('/chain/shared');
      await streams.create(shared, createOf());
      await streams.fork(ref('/chain/one'), forkOf(shared.path));
      await streams.fork(ref('/chain/two'), forkOf(shared.path));
      expect(await streams.delete(ref('/chain/one'))).toBe(true);
      expect(await streams.info(shared)).not.toBeNull();
      expect(await streams.delete(shared)).toBe(true);
      await expectGone(streams.info(shared));
      expect(await streams.delete(ref('/chain/two'))).toBe(true);
      expect(await streams.info(shared)).toBeNull();
    },
  );

  durableIt(ctx, 'a fork that expired no longer keeps its deleted source', async ({ streams, ref }) => {
    const source = ref('/expiring/source');
    await streams.create(source, createOf());
    await streams.fork(ref('/expiring/fork'), forkOf(source.path, { expiresAt: Date.now() + 300 }));
    await streams.fork(ref('/expiring/kept'), forkOf(source.path));
    expect(await streams.delete(ref('/expiring/kept'))).toBe(true);
    expect(await streams.delete(source)).toBe(true);
    await expectGone(streams.info(source));
    await sleep(600);
    // Its one fork gone, the tombstone goes when next asked to make way.
    expect((await streams.create(source, createOf())).kind).toBe('created');

    // And a source whose only fork expired before its delete is deleted outright.
    const other = ref('/expiring/other');
    await streams.create(other, createOf());
    await streams.fork(ref('/expiring/brief'), forkOf(other.path, { ttlSeconds: 0 }));
    await sleep(50);
    expect(await streams.delete(other)).toBe(true);
    expect(await streams.info(other)).toBeNull();
  });

  durableIt(ctx, 'answers a fork create again: exists when it asks for the same fork', async ({ streams, ref }) => {
    const source = ref('/again/source');
    await streams.create(source, createOf({ ttlSeconds: 3600 }));
    await streams.append(source, appendOf(['1', '2']));
    const [one] = await readAll(streams, source);
    const fork = ref('/again/fork');
    const asked = forkOf(source.path, { offset: one?.id as Cursor, subOffset: 1 });
    const made = await streams.fork(fork, asked);
    expect(made.kind).toBe('created');
    const { info } = made as { info: unknown };
    expect(await streams.fork(fork, { ...asked, messages: [{ data: '9', base64: false }] })).toEqual({
      kind: 'exists',
      info,
    });
    expect(dataOf(await readAll(streams, fork))).toEqual(['1', '2']);
    // An offset not named matches; so do the inherited content type and TTL named as they are.
    expect((await streams.fork(fork, { ...asked, offset: null })).kind).toBe('exists');
    expect((await streams.fork(fork, { ...asked, contentType: 'application/json', ttlSeconds: 3600 })).kind).toBe(
      'exists',
    );
    for (const other of [
      { offset: '0-0' },
      { subOffset: 0 },
      { contentType: 'text/plain' },
      { ttlSeconds: 60 },
      { expiresAt: Date.now() + 60_000 },
      { closed: true },
      { source: '/again/elsewhere' },
    ]) {
      expect(await streams.fork(fork, { ...asked, ...other })).toEqual({ kind: 'conflict', info });
    }
    // A fork is not what a create makes, nor a stream what a fork makes.
    expect((await streams.create(fork, createOf({ ttlSeconds: 3600 }))).kind).toBe('conflict');
    await streams.create(ref('/again/plain'), createOf({ ttlSeconds: 3600 }));
    expect((await streams.fork(ref('/again/plain'), forkOf(source.path))).kind).toBe('conflict');
    // Its source deleted: the same fork still exists.
    expect(await streams.delete(source)).toBe(true);
    expect((await streams.fork(fork, asked)).kind).toBe('exists');
  });

  durableIt(ctx, "a trimmed source's fork is 410 before what it copied, as the source is", async ({ streams, ref }) => {
    const source = ref('/trimmed/source');
    await streams.create(source, createOf());
    const ids = await fill(streams, source, 250);
    await streams.append(source, appendOf(['"last"'], { retention: { maxLength: 10, maxAgeMs: null } }));
    const retained = await readAll(streams, source);
    const fork = ref('/trimmed/fork');
    await streams.fork(fork, forkOf(source.path));
    expect(await readAll(streams, fork)).toEqual(retained);
    const lost = streams.read(fork, { after: ids[0] as Cursor, limit: 10, blockMs: 0 });
    await expect(lost).rejects.toBeInstanceOf(ReplayWindowExpiredError);
    const after = await streams.read(fork, { after: retained[0]?.id as Cursor, limit: 1_000, blockMs: 0 });
    expect(after?.messages).toEqual(retained.slice(1));
  });
}
