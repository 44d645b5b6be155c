// Two processes of the example server (examples/server.mjs, on the built packages, as a
// user runs it) on the run's Redis, read and written with @durable-streams/client:
// - a writer appending 300 messages through process A, SSE readers on A and on B, and
//   A killed with SIGKILL mid-stream: A's readers resume on B from the offset of the
//   last batch they were handed, the writer goes on through B with the same producer,
//   and every reader ends with every message once, in order;
// - a process killed and started again on the same port: everything reads back from
//   -1, a reader resumes from its offset, and the producer's epoch and sequence held.
//
// The example keeps streams under the rail's default key prefix (`rr`) and takes no
// other: this run's streams have paths of their own (`<unique>/…`), and their keys are
// deleted afterwards.

import { DurableStream, IdempotentProducer, stream } from '@durable-streams/client';
import { deleteKeysUnder, describeWithRedis, freePort, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ExampleServer, ensureExampleBuilt, startExampleServer } from './test-support/example-server.js';

interface Message {
  readonly n: number;
}

/** `{ n }` for every n in [from, to). */
const messages = (from: number, to: number): Message[] =>
  Array.from({ length: to - from }, (_, i) => ({ n: from + i }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds, polling (30 s at most: a wait, not a timing assertion). */
async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** Everything from `offset` to the tail, through as many responses as it takes. */
async function readAll(url: string, offset = '-1') {
  const response = await stream<Message>({ url, offset });
  const items = await response.json();
  return { items, offset: response.offset, streamClosed: response.streamClosed };
}

/** One connection of a failover reader: the server it went to, and how many messages it handed over. */
interface Connection {
  readonly url: string;
  received: number;
}

/** What a failover reader has read so far. */
interface FailoverReader {
  readonly items: Message[];
  readonly connections: Connection[];
  /** True once its first connection has caught up with the stream. */
  caughtUp: boolean;
  /** Resolves once a batch says the stream is closed; rejects when every retry failed. */
  readonly done: Promise<void>;
}

/**
 * A reader with the client's SSE mode that, when its session fails (the server went
 * away), starts a new one on the next URL from the offset of the last batch it was
 * handed: a load balancer's failover, in small. A session that failed hands nothing
 * more over (a batch it was still parsing is read again by the next one).
 */
function failoverReader(urls: readonly string[]): FailoverReader {
  const reader: Omit<FailoverReader, 'done'> = { items: [], connections: [], caughtUp: false };
  let offset = '-1';
  const done = (async () => {
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const url = urls[attempt % urls.length] as string;
      const connection: Connection = { url, received: 0 };
      reader.connections.push(connection);
      const session = await stream<Message>({
        url,
        offset,
        live: 'sse',
        // One quick retry of a refused connection, then this reader's own failover.
        backoffOptions: { initialDelay: 20, maxDelay: 50, multiplier: 2, maxRetries: 1 },
      }).catch((error: unknown) => {
        lastError = error;
        return undefined;
      });
      if (session === undefined) {
        await sleep(50);
        continue;
      }
      const outcome = await new Promise<'closed' | 'failed'>((resolve) => {
        let current = true;
        session.subscribeJson((batch) => {
          if (!current) return;
          reader.items.push(...batch.items);
          connection.received += batch.items.length;
          offset = batch.offset;
          if (batch.upToDate) reader.caughtUp = true;
          if (batch.streamClosed) resolve('closed');
        });
        session.closed.catch((error: unknown) => {
          current = false;
          lastError = error;
          resolve('failed');
        });
      });
      if (outcome === 'closed') return;
    }
    throw new Error('the reader found no server to resume on', { cause: lastError });
  })();
  return Object.assign(reader, { done });
}

/** One request of the writer: which server it went to, its producer seq, and what came back. */
interface WriterRequest {
  readonly url: string;
  readonly seq: number;
  readonly status: number | 'network error';
}

/**
 * The writer's `fetch`: to `from`'s server until a request to it fails on the network,
 * then that request and every later one to `to`'s: the same path, and the same
 * (producer, epoch, seq), so a batch the dead process stored before its answer was
 * lost is answered by the other as a duplicate.
 */
function failoverFetch(from: string, to: string): { fetch: typeof fetch; requests: WriterRequest[] } {
  const requests: WriterRequest[] = [];
  let origin = from;
  const send = async (url: string, init: RequestInit | undefined): Promise<Response> => {
    const seq = Number(new Headers(init?.headers).get('producer-seq'));
    try {
      const response = await fetch(url, init);
      requests.push({ url, seq, status: response.status });
      return response;
    } catch (error) {
      requests.push({ url, seq, status: 'network error' });
      throw error;
    }
  };
  return {
    requests,
    fetch: async (input, init) => {
      const url = String(input);
      try {
        return await send(url.replace(from, origin), init);
      } catch (error) {
        if (origin === to || !(error instanceof TypeError)) throw error;
        origin = to;
        return send(url.replace(from, origin), init);
      }
    },
  };
}

describeWithRedis('two example server processes on one Redis', (redisUrl) => {
  const run = uniquePrefix('rrds-mp');
  const servers: ExampleServer[] = [];
  const start = async (): Promise<ExampleServer> => {
    const server = await startExampleServer({ port: await freePort(), redisUrl, longPollTimeoutMs: 1000 });
    servers.push(server);
    return server;
  };

  beforeAll(() => ensureExampleBuilt(), 180_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    const admin = new Redis(redisUrl);
    await deleteKeysUnder(admin, `rr:ds:{${encodeURIComponent(run)}`);
    admin.disconnect();
  });

  it('A killed mid-stream: its readers resume on B, the writer goes on through B, every reader has every message once, in order', async () => {
    const [a, b] = [await start(), await start()];
    const path = `${run}/failover`;
    const total = 300;
    const handle = await DurableStream.create({ url: a.stream(path), contentType: 'application/json' });

    // Two SSE readers on each process; A's fail over to B.
    const onA = [failoverReader([a.stream(path), b.stream(path)]), failoverReader([a.stream(path), b.stream(path)])];
    const onB = [failoverReader([b.stream(path)]), failoverReader([b.stream(path)])];
    const readers = [...onA, ...onB];
    await waitUntil(() => readers.every((reader) => reader.caughtUp), 'every reader is at the tail');

    const network = failoverFetch(`http://127.0.0.1:${a.port}/`, `http://127.0.0.1:${b.port}/`);
    const errors: Error[] = [];
    const producer = new IdempotentProducer(handle, 'failover-writer', {
      fetch: network.fetch,
      lingerMs: 0,
      maxInFlight: 1,
      onError: (error) => errors.push(error),
    });
    // A dies once every reader has a third of the messages, while the writer goes on
    // (wherever the kill lands: mid-request, mid-event); the writer only waits for it
    // at half-way, so that half of the messages come after it.
    const killed = (async () => {
      await waitUntil(() => readers.every((reader) => reader.items.length >= total / 3), 'readers have data');
      await a.kill();
    })();
    for (let n = 0; n < total; n++) {
      if (n === total / 2) await killed;
      producer.append(JSON.stringify({ n }));
      await producer.flush();
      await sleep(2);
    }
    // The writer closes the stream (through B): every reader's session ends there.
    await producer.close();
    expect(errors).toEqual([]);
    await Promise.all(readers.map((reader) => reader.done));

    for (const [i, reader] of readers.entries()) {
      expect(reader.items, `reader ${i}`).toEqual(messages(0, total));
    }
    for (const reader of onA) {
      expect(reader.connections.map((connection) => connection.url)).toEqual([a.stream(path), b.stream(path)]);
      expect(reader.connections[0]?.received).toBeGreaterThanOrEqual(total / 3);
      expect(reader.connections[0]?.received).toBeLessThanOrEqual(total / 2);
    }
    for (const reader of onB) {
      expect(reader.connections.map((connection) => connection.url)).toEqual([b.stream(path)]);
    }
    // The writer's requests went to A, then (from a failed one on) to B, each seq stored once.
    const toA = network.requests.filter((request) => request.url.startsWith(`http://127.0.0.1:${a.port}/`));
    const toB = network.requests.filter((request) => request.url.startsWith(`http://127.0.0.1:${b.port}/`));
    expect(toA.length).toBeGreaterThan(total / 3);
    expect(toA.at(-1)?.status).toBe('network error');
    expect(toB.length).toBeGreaterThan(0);
    expect(toB.every((request) => request.status === 200 || request.status === 204)).toBe(true);

    const all = await readAll(b.stream(path));
    expect(all.items).toEqual(messages(0, total));
    expect(all.streamClosed).toBe(true);
  }, 120_000);

  it('a process killed and started again on the same port lost nothing: everything from -1, a reader resumes from its offset, the producer goes on', async () => {
    const a = await start();
    const path = `${run}/restart`;
    const url = a.stream(path);
    const handle = await DurableStream.create({ url, contentType: 'application/json' });
    const errors: Error[] = [];
    const producer = new IdempotentProducer(handle, 'restart-writer', {
      maxBatchBytes: 64,
      onError: (error) => errors.push(error),
    });
    for (let n = 0; n < 100; n++) producer.append(JSON.stringify({ n }));
    await producer.flush();
    const reader = await readAll(url);
    expect(reader.items).toEqual(messages(0, 100));
    for (let n = 100; n < 150; n++) producer.append(JSON.stringify({ n }));
    await producer.flush();
    expect(errors).toEqual([]);

    await a.kill();
    await expect(fetch(url)).rejects.toThrow(TypeError);
    await a.restart();

    expect((await readAll(url)).items).toEqual(messages(0, 150));
    expect((await readAll(url, reader.offset)).items).toEqual(messages(100, 150));

    // The producer's state is in Redis too: its last batch sent again is a duplicate, and
    // it goes on from its next seq (a server that had forgotten it would answer 409).
    const lastSeq = producer.nextSeq - 1;
    const resent = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'producer-id': 'restart-writer',
        'producer-epoch': '0',
        'producer-seq': String(lastSeq),
      },
      body: '[{"n":-1}]',
    });
    expect(resent.status).toBe(204);
    for (let n = 150; n < 160; n++) producer.append(JSON.stringify({ n }));
    await producer.close();
    expect(errors).toEqual([]);
    const all = await readAll(url);
    expect(all.items).toEqual(messages(0, 160));
    expect(all.streamClosed).toBe(true);
  }, 60_000);
});
