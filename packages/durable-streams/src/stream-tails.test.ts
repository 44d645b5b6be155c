// The shared live read: however many long-polls and event streams wait on a stream,
// the process runs one blocking store read loop for it (counted on the real memory
// store, wrapped), and hands what it reads to all of them.

import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeOffset } from './offsets.js';
import { StreamTails } from './stream-tails.js';
import { countingStore, type Served, serveRoutes, until } from './test-support/harness.js';

const READERS = 25;

describe('one shared read per stream, however many readers', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it(`${READERS} long-polls and ${READERS} event streams of one stream: one blocking read loop, every reader served`, async () => {
    const { store, reads } = countingStore();
    served = await serveRoutes(store, { longPollTimeoutMs: 10_000, tailBlockMs: 5_000 });
    const url = served.stream('shared');
    await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    const tail = (await fetch(url, { method: 'HEAD' })).headers.get('stream-next-offset') as string;

    const polls = Array.from({ length: READERS }, () =>
      fetch(`${url}?offset=${tail}&live=long-poll`).then(async (response) => ({
        status: response.status,
        body: await response.text(),
      })),
    );
    const sse = await Promise.all(Array.from({ length: READERS }, () => fetch(`${url}?offset=${tail}&live=sse`)));
    // Every event stream is at the tail: its first control event says so.
    const readers = sse.map((response) => (response.body as ReadableStream<Uint8Array>).getReader());
    const received = readers.map(() => '');
    const readUntil = async (index: number, text: string) => {
      const decoder = new TextDecoder();
      while (!(received[index] as string).includes(text)) {
        const { done, value } = await (readers[index] as ReadableStreamDefaultReader<Uint8Array>).read();
        if (done) throw new Error(`event stream ${index} ended before ${JSON.stringify(text)}`);
        received[index] += decoder.decode(value);
      }
    };
    await Promise.all(readers.map((_, index) => readUntil(index, '"upToDate":true')));
    await until(() => reads.inFlight === 1 && served?.routes.liveStreams === 1, 'the shared read is waiting');

    const before = reads.blocking;
    await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    const answers = await Promise.all(polls);
    await Promise.all(readers.map((_, index) => readUntil(index, 'data:hello')));

    expect(answers.every(({ status, body }) => status === 200 && body === 'hello')).toBe(true);
    // One loop: never two blocking reads of the stream at once, and a handful in all,
    // not one per reader.
    expect(reads.maxInFlight).toBe(1);
    expect(reads.blocking).toBeLessThan(5);
    expect(reads.blocking - before).toBeLessThanOrEqual(2);
    for (const reader of readers) await reader.cancel();
    await until(() => served?.routes.liveStreams === 0, 'the loop stops once nobody waits');
  });

  it('a reader that leaves lets go of its wait at once, and the loop stops with the last one', async () => {
    const { store, reads } = countingStore();
    served = await serveRoutes(store, { longPollTimeoutMs: 30_000, tailBlockMs: 30_000 });
    const url = served.stream('leaving');
    await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    const polls = new AbortController();
    const sse = new AbortController();
    const poll = fetch(`${url}?offset=now&live=long-poll`, { signal: polls.signal }).catch(() => 'aborted');
    const events = await fetch(`${url}?offset=now&live=sse`, { signal: sse.signal });
    void events.body?.getReader().read();
    await until(() => reads.inFlight === 1 && served?.routes.liveStreams === 1, 'both wait');
    polls.abort();
    expect(await poll).toBe('aborted');
    sse.abort();
    // Long before either timeout (30 s): the shared read is let go.
    await until(() => served?.routes.liveStreams === 0 && reads.inFlight === 0, 'the loop stops');
  });

  it('two streams with readers: one loop each', async () => {
    const { store, reads } = countingStore();
    served = await serveRoutes(store, { longPollTimeoutMs: 10_000, tailBlockMs: 5_000 });
    const { stream } = served;
    for (const name of ['a', 'b']) {
      await fetch(stream(name), { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    }
    const polls = ['a', 'b', 'a', 'b', 'a', 'b'].map((name) => fetch(`${stream(name)}?offset=now&live=long-poll`));
    await until(() => reads.inFlight === 2 && served?.routes.liveStreams === 2, 'both loops wait');
    await fetch(stream('a'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    await fetch(stream('b'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'y' });
    const bodies = await Promise.all((await Promise.all(polls)).map((response) => response.text()));
    expect(bodies).toEqual(['x', 'y', 'x', 'y', 'x', 'y']);
    expect(reads.maxInFlight).toBe(2);
  });
});

describe('StreamTails', () => {
  const ref = { prefix: 'rr', path: 'tail-test' };
  const setup = async () => {
    const store = new MemoryEventStore();
    const created = await store.durableStreams.create(ref, {
      retention: { maxLength: null, maxAgeMs: null },
      config: { contentType: 'text/plain', ttlSeconds: null, expiresAt: null },
      closed: false,
      messages: [{ data: 'first', base64: false }],
    });
    const tails = new StreamTails(store.durableStreams, { blockMs: 5_000, limit: 100 });
    return { store, tails, info: created.info };
  };
  const append = (store: MemoryEventStore, data: string, close = false) =>
    store.durableStreams.append(ref, {
      retention: { maxLength: null, maxAgeMs: null },
      messages: data === '' ? [] : [{ data, base64: false }],
      contentType: 'text/plain',
      close,
      streamSeq: null,
      producer: null,
    });

  it('hands a waiter what comes after its position', async () => {
    const { store, tails, info } = await setup();
    const waiting = tails.wait(ref, info.id, info.tail, 5_000);
    await append(store, 'second');
    const wake = await waiting;
    expect(wake.kind).toBe('messages');
    expect(wake.kind === 'messages' && wake.messages.map((message) => message.data)).toEqual(['second']);
    tails.close();
  });

  it('hands waiters at one position the same array, framed once by the event streams', async () => {
    const { store, tails, info } = await setup();
    const first = tails.wait(ref, info.id, info.tail, 5_000);
    const second = tails.wait(ref, info.id, info.tail, 5_000);
    await append(store, 'second');
    const [a, b] = await Promise.all([first, second]);
    expect(a.kind === 'messages' && b.kind === 'messages' && a.messages === b.messages).toBe(true);
    tails.close();
  });

  it('tells a waiter behind what the shared read has passed to read the gap itself', async () => {
    const { store, tails, info } = await setup();
    const first = tails.wait(ref, info.id, info.tail, 5_000);
    await append(store, 'second');
    await first;
    // The loop is past `info.tail` now, if it still runs; a new loop starts where the waiter is.
    const again = tails.wait(ref, info.id, info.tail, 50);
    const wake = await again;
    expect(['behind', 'messages']).toContain(wake.kind);
    tails.close();
  });

  it('wakes waiters when the stream is closed, and when it is deleted', async () => {
    const { store, tails, info } = await setup();
    const closing = tails.wait(ref, info.id, info.tail, 5_000);
    await append(store, '', true);
    tails.poke(ref);
    expect((await closing).kind).toBe('closed');
    const deleting = tails.wait(ref, info.id, info.tail, 5_000);
    await store.durableStreams.delete(ref);
    tails.poke(ref);
    expect(['gone', 'closed']).toContain((await deleting).kind);
    tails.close();
  });

  it('times out, and lets a waiter go when its signal aborts; the loop stops with its last waiter', async () => {
    const { tails, info } = await setup();
    expect((await tails.wait(ref, info.id, info.tail, 20)).kind).toBe('timeout');
    const abort = new AbortController();
    const waiting = tails.wait(ref, info.id, info.tail, 5_000, abort.signal);
    expect(tails.active).toBe(1);
    abort.abort();
    expect((await waiting).kind).toBe('aborted');
    await until(() => tails.active === 0, 'the loop stops');
    tails.close();
  });

  it('offsets of what it hands over are those a catch-up gives', async () => {
    const { store, tails, info } = await setup();
    const waiting = tails.wait(ref, info.id, info.tail, 5_000);
    const appended = await append(store, 'second');
    const wake = await waiting;
    expect(wake.kind === 'messages' && encodeOffset(wake.info.tail)).toBe(
      appended.kind === 'appended' && encodeOffset(appended.info.tail),
    );
    tails.close();
  });
});
