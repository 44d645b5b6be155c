// @durable-streams/client, the protocol's own TypeScript client, against these routes on
// a real port, on the memory store and on the run's Redis (RedisStreamStore under a key
// prefix of its own, deleted afterwards):
// - `stream()` in catch-up, long-poll and SSE modes, each resuming from an offset it was
//   given earlier: exactly the rest, in order;
// - `IdempotentProducer` whose answers get lost (a fetch that drops the response after
//   the server stored the batch, and a fetch that then sends it again): each message
//   stored once; and a restart with the next epoch, which fences the old producer;
// - a reader whose offset was trimmed away by retention: the 410 as the client surfaces it.

import {
  DurableStream,
  FetchError,
  IdempotentProducer,
  type JsonBatch,
  StaleEpochError,
  stream,
} from '@durable-streams/client';
import type { EventStore, ReplayRailConfig } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { DurableStreamsOptions } from './index.js';
import { type Served, serveRoutes } from './test-support/harness.js';

interface Message {
  readonly n: number;
}

/** `{ n }` for every n in [from, to). */
const messages = (from: number, to: number): Message[] =>
  Array.from({ length: to - from }, (_, i) => ({ n: from + i }));

/** Appends each value as one message (a JSON array is flattened one level). */
async function appendJson(url: string, values: readonly Message[]): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(values),
  });
  expect(response.status, await response.text()).toBe(204);
}

/** Resolves once `check` holds, polling (15 s at most: a wait, not a timing assertion). */
async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A catch-up read from `offset` to the tail, through as many responses as the server
 * splits it into: `json()` with the client's default `live`, which stops once up to date
 * (with `live: false` the client 0.2.7 stops after the first response, up to date or
 * not). Every request it made is checked to be a catch-up one.
 */
async function catchUp(url: string, offset = '-1') {
  const requests = recordingFetch();
  const response = await stream<Message>({ url, offset, fetch: requests.fetch });
  const items = await response.json();
  for (const request of requests.urls) expect(new URL(request).searchParams.get('live'), request).toBeNull();
  return { items, offset: response.offset, upToDate: response.upToDate, streamClosed: response.streamClosed };
}

/** The first response of a catch-up read from `offset`, as the client hands it over. */
async function firstBatch(url: string, offset: string): Promise<JsonBatch<Message>> {
  const response = await stream<Message>({ url, offset, live: false });
  return new Promise((resolve) => {
    const unsubscribe = response.subscribeJson((batch) => {
      unsubscribe();
      resolve(batch);
    });
  });
}

/** A `fetch` that records every request's URL. */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    },
  };
}

/** A live reader through the client: every batch it is handed, and the last offset. */
interface Follower {
  readonly items: Message[];
  /** The offset of the last batch handed over: where to resume. */
  readonly offset: string;
  /** True once a batch said the reader is at the tail. */
  readonly caughtUp: boolean;
  stop(): void;
}

/** Follows the stream from `offset` in `live` mode, through `fetchWith`. */
async function follow(
  url: string,
  offset: string,
  live: 'long-poll' | 'sse',
  fetchWith: typeof fetch,
): Promise<Follower> {
  const response = await stream<Message>({ url, offset, live, fetch: fetchWith });
  const follower = { items: [] as Message[], offset, caughtUp: false, stop: () => {} };
  follower.stop = response.subscribeJson((batch) => {
    follower.items.push(...batch.items);
    follower.offset = batch.offset;
    if (batch.upToDate) follower.caughtUp = true;
  });
  return follower;
}

/** One attempt of a producer's POST: its claim, the status it got, and whether its answer was dropped. */
interface Attempt {
  readonly epoch: number;
  readonly seq: number;
  readonly status: number;
  readonly dropped: boolean;
}

/**
 * A producer's `fetch` over a network that loses answers: the first time the server
 * stores a batch (200) whose seq `drop` picks, the response is thrown away after the
 * server handled the request, and the request fails as fetch fails on a lost
 * connection; the fetch then sends the same request again (same headers, same body),
 * as a client's retry on a network error does.
 */
function lossyFetch(drop: (seq: number) => boolean): { fetch: typeof fetch; attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  const droppedOnce = new Set<string>();
  const once = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const response = await fetch(input, init);
    const epoch = Number(headers.get('producer-epoch'));
    const seq = Number(headers.get('producer-seq'));
    const key = `${epoch}/${seq}`;
    const dropped = response.status === 200 && drop(seq) && !droppedOnce.has(key);
    attempts.push({ epoch, seq, status: response.status, dropped });
    if (!dropped) return response;
    droppedOnce.add(key);
    await response.arrayBuffer();
    throw new TypeError('fetch failed', { cause: new Error('the connection closed before the answer came') });
  };
  return {
    attempts,
    fetch: async (input, init) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(input, init);
        } catch (error) {
          if (!(error instanceof TypeError) || attempt === 3) throw error;
        }
      }
    },
  };
}

/** A store to run the suite on, the rail's config for it, and what to do once it has run. */
interface SuiteStore {
  readonly store: EventStore;
  readonly config?: ReplayRailConfig;
  cleanUp?(): Promise<void>;
}

function clientSuite(storeName: string, makeStore: () => SuiteStore): void {
  describe(`@durable-streams/client against the server on the ${storeName} store`, () => {
    const opened: { served: Served; suiteStore: SuiteStore }[] = [];
    const serve = async (options: DurableStreamsOptions): Promise<Served> => {
      const suiteStore = makeStore();
      const served = await serveRoutes(suiteStore.store, { longPollTimeoutMs: 1000, ...options }, suiteStore.config);
      opened.push({ served, suiteStore });
      return served;
    };
    // Small chunks: a catch-up takes several responses, each handing over its own offset.
    const served = () => serve({ maxChunkBytes: 48 });

    afterAll(async () => {
      for (const { served, suiteStore } of opened) {
        await served.close();
        await suiteStore.cleanUp?.();
      }
    });

    it('catch-up: from an offset it was handed midway, exactly the rest, in order', async () => {
      const { stream: at } = await served();
      const url = at('catch-up');
      await DurableStream.create({ url, contentType: 'application/json' });
      await appendJson(url, messages(0, 20));

      // Read the first response only, and keep the offset it came with.
      const first = await firstBatch(url, '-1');
      const read = first.items.length;
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThan(20);
      expect(first.items).toEqual(messages(0, read));
      expect(first.upToDate).toBe(false);

      await appendJson(url, messages(20, 30));
      const rest = await catchUp(url, first.offset);
      expect(rest.items).toEqual(messages(read, 30));
      expect(rest.upToDate).toBe(true);

      // From the offset the whole read ended at: nothing, up to date.
      const none = await catchUp(url, rest.offset);
      expect(none.items).toEqual([]);
      expect(none.upToDate).toBe(true);
    });

    it.each(['long-poll', 'sse'] as const)(
      '%s: follows from an offset it was handed, then a new session resumes from the last offset of the first: exactly the rest, in order',
      async (live) => {
        const { stream: at } = await served();
        const url = at(`live-${live}`);
        await DurableStream.create({ url, contentType: 'application/json' });
        await appendJson(url, messages(0, 10));
        const first = await firstBatch(url, '-1');
        const read = first.items.length;
        const requests = recordingFetch();

        // The first session catches up, then waits at the tail while messages come one by one.
        const one = await follow(url, first.offset, live, requests.fetch);
        await waitUntil(() => one.caughtUp, 'the first session is at the tail');
        for (let n = 10; n < 20; n++) await appendJson(url, [{ n }]);
        await waitUntil(() => one.items.length >= 20 - read, 'the first session has message 19');
        one.stop();
        expect(one.items).toEqual(messages(read, 20));

        // Messages come while nobody reads; a second session starts where the first stopped.
        await appendJson(url, messages(20, 25));
        const two = await follow(url, one.offset, live, requests.fetch);
        await waitUntil(() => two.caughtUp, 'the second session is at the tail');
        await appendJson(url, messages(25, 30));
        await waitUntil(() => two.items.length >= 10, 'the second session has message 29');
        two.stop();
        expect(two.items).toEqual(messages(20, 30));

        // The client read in that mode (after a catch-up request, as it always starts).
        const modes = requests.urls.map((request) => new URL(request).searchParams.get('live'));
        expect(modes).toContain(live);
        expect(modes.filter((mode) => mode !== null && mode !== live)).toEqual([]);
      },
    );

    it('IdempotentProducer: a batch whose answer was lost is sent again with the same (epoch, seq), answered as a duplicate, stored once', async () => {
      const { stream: at } = await served();
      const url = at('producer-retries');
      const handle = await DurableStream.create({ url, contentType: 'application/json' });
      const network = lossyFetch((seq) => seq % 2 === 0);
      const errors: Error[] = [];
      // Small batches, five in flight: many requests, some of them out of order.
      const producer = new IdempotentProducer(handle, 'writer-retries', {
        fetch: network.fetch,
        maxBatchBytes: 64,
        onError: (error) => errors.push(error),
      });
      for (let n = 0; n < 200; n++) producer.append(JSON.stringify({ n }));
      await producer.flush();
      expect(errors).toEqual([]);

      const dropped = network.attempts.filter((attempt) => attempt.dropped);
      expect(dropped.length).toBeGreaterThanOrEqual(5);
      for (const lost of dropped) {
        // The next attempt of that claim is its retry: a 204, the server's "duplicate".
        const later = network.attempts.slice(network.attempts.indexOf(lost) + 1);
        const retry = later.find((attempt) => attempt.epoch === lost.epoch && attempt.seq === lost.seq);
        expect(retry, `the retry of seq ${lost.seq}`).toMatchObject({ status: 204, dropped: false });
      }
      // Every seq the producer used was stored once: 200 once, and nothing but 204 and
      // 409 (a batch that overtook an earlier one, sent again by the client) besides.
      for (let seq = 0; seq < producer.nextSeq; seq++) {
        const statuses = network.attempts.filter((attempt) => attempt.seq === seq).map((attempt) => attempt.status);
        expect(
          statuses.filter((status) => status === 200),
          `seq ${seq}: ${statuses}`,
        ).toHaveLength(1);
        expect(
          statuses.every((status) => [200, 204, 409].includes(status)),
          `seq ${seq}: ${statuses}`,
        ).toBe(true);
      }
      expect((await catchUp(url)).items).toEqual(messages(0, 200));
    });

    it('IdempotentProducer: a restart with the next epoch fences the old producer, whose next append fails with StaleEpochError (the 403)', async () => {
      const { stream: at } = await served();
      const url = at('producer-restart');
      const handle = await DurableStream.create({ url, contentType: 'application/json' });
      const oldErrors: Error[] = [];
      const oldRequests: number[] = [];
      const old = new IdempotentProducer(handle, 'writer-restart', {
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          oldRequests.push(response.status);
          return response;
        },
        onError: (error) => oldErrors.push(error),
      });
      for (let n = 0; n < 10; n++) old.append(JSON.stringify({ n }));
      await old.flush();
      expect(oldErrors).toEqual([]);

      // The writer's process restarts: the same producer id, the next epoch, from seq 0.
      const freshErrors: Error[] = [];
      const fresh = new IdempotentProducer(handle, 'writer-restart', {
        epoch: old.epoch + 1,
        onError: (error) => freshErrors.push(error),
      });
      for (let n = 10; n < 20; n++) fresh.append(JSON.stringify({ n }));
      await fresh.flush();

      // The old one, still running somewhere, appends again: fenced.
      old.append(JSON.stringify({ n: -1 }));
      await old.flush();
      expect(oldRequests.at(-1)).toBe(403);
      expect(oldErrors).toHaveLength(1);
      expect(oldErrors[0]).toBeInstanceOf(StaleEpochError);
      expect(oldErrors[0]).toMatchObject({ currentEpoch: 1 });

      // The new one goes on, and closes the stream.
      for (let n = 20; n < 25; n++) fresh.append(JSON.stringify({ n }));
      await fresh.close();
      expect(freshErrors).toEqual([]);
      const all = await catchUp(url);
      expect(all.items).toEqual(messages(0, 25));
      expect(all.streamClosed).toBe(true);
    });

    it('a reader whose offset was trimmed away while it was gone gets 410 Gone, a FetchError with status 410, in every mode', async () => {
      const { stream: at } = await serve({ retention: { maxLength: 10 } });
      const url = at('trimmed');
      await DurableStream.create({ url, contentType: 'application/json' });
      await appendJson(url, messages(0, 5));
      const reader = await catchUp(url);
      expect(reader.items).toEqual(messages(0, 5));
      const saved = reader.offset;

      // While the reader is away, 300 more messages; retention trims what it had not read
      // (on Redis, MAXLEN ~ trims whole nodes of 100 entries: 300 is well past them).
      for (let from = 5; from < 305; from += 10) await appendJson(url, messages(from, from + 10));

      for (const live of [false, 'long-poll', 'sse'] as const) {
        const error: unknown = await stream<Message>({ url, offset: saved, live }).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error, `live: ${live}`).toBeInstanceOf(FetchError);
        expect(error, `live: ${live}`).toMatchObject({
          status: 410,
          json: { error: { code: 'replay_window_expired' } },
        });
      }
      // From the start, the client reads what is retained: the newest messages, with no gap.
      const retained = (await catchUp(url)).items;
      expect(retained.length).toBeGreaterThanOrEqual(10);
      expect(retained.length).toBeLessThan(305);
      expect(retained).toEqual(messages(305 - retained.length, 305));
    });
  });
}

clientSuite('memory', () => ({ store: new MemoryEventStore() }));

describeWithRedis('on Redis', (url) => {
  clientSuite('Redis', () => {
    const prefix = uniquePrefix('rrdsclient');
    return {
      store: new RedisStreamStore({ client: new Redis(url), closeClient: true }),
      config: { streamPrefix: prefix },
      async cleanUp() {
        const admin = new Redis(url);
        await deleteKeysUnder(admin, prefix);
        admin.disconnect();
      },
    };
  });
});
