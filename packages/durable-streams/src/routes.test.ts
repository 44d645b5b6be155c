// What this server does beyond (and around) the conformance suite: forks refused with
// 501, 410 Gone for an offset before retained history, the body limit, offsets that
// order as strings across many appends, CORS, and the Durable Streams client.

import { DurableStream, IdempotentProducer, stream } from '@durable-streams/client';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOffset } from './offsets.js';
import { type Served, serveRoutes } from './test-support/harness.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const start = async (options: Parameters<typeof serveRoutes>[1] = {}) => {
  served = await serveRoutes(new MemoryEventStore(), { longPollTimeoutMs: 1000, ...options });
  return served;
};
const text = { 'content-type': 'text/plain' };

describe('what the server refuses', () => {
  it('the reserved subscription APIs (__ds) with 501', async () => {
    const { stream: url } = await start();
    expect((await fetch(url('__ds/subscriptions/x'), { method: 'PUT' })).status).toBe(501);
  });

  it('a body over maxBodyBytes with 413, storing nothing', async () => {
    const { stream: url } = await start({ maxBodyBytes: 1000 });
    await fetch(url('big'), { method: 'PUT', headers: text });
    const response = await fetch(url('big'), { method: 'POST', headers: text, body: 'x'.repeat(1001) });
    expect(response.status).toBe(413);
    expect(await (await fetch(url('big'))).text()).toBe('');
    expect((await fetch(url('big'), { method: 'POST', headers: text, body: 'x'.repeat(1000) })).status).toBe(204);
  });

  it('malformed headers with 400 before anything is stored', async () => {
    const { stream: url } = await start();
    const put = (headers: Record<string, string>) =>
      fetch(url('h'), { method: 'PUT', headers: { ...text, ...headers } });
    expect((await put({ 'stream-ttl': '1.5' })).status).toBe(400);
    expect((await put({ 'stream-expires-at': 'tomorrow' })).status).toBe(400);
    expect((await put({ 'stream-ttl': '60', 'stream-expires-at': '2030-01-01T00:00:00Z' })).status).toBe(400);
    expect((await fetch(url('h'), { method: 'HEAD' })).status).toBe(404);
    await put({});
    const post = (headers: Record<string, string>, body = 'x') =>
      fetch(url('h'), { method: 'POST', headers: { ...text, ...headers }, body });
    expect((await post({ 'producer-id': 'p', 'producer-epoch': '0' })).status).toBe(400);
    expect((await post({ 'producer-id': 'p', 'producer-epoch': '0', 'producer-seq': String(2 ** 53) })).status).toBe(
      400,
    );
    expect((await post({}, '')).status).toBe(400);
    expect(await (await fetch(url('h'))).text()).toBe('');
  });

  it('a method the protocol does not have with 405', async () => {
    const { stream: url } = await start();
    expect((await fetch(url('m'), { method: 'PATCH' })).status).toBe(405);
  });
});

describe('offsets', () => {
  it('grow strictly and order as plain strings, past sequence 9 in one millisecond', async () => {
    // One message per response: every message's offset is seen.
    const { stream: url } = await start({ maxChunkBytes: 1 });
    // One append of 40 values: 40 messages with one millisecond (<ms>-0 … <ms>-39).
    await fetch(url('o'), { method: 'PUT', headers: { 'content-type': 'application/json' } });
    const values = Array.from({ length: 40 }, (_, i) => i);
    await fetch(url('o'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(values),
    });
    const offsets: string[] = [];
    const read: number[] = [];
    let offset = '-1';
    for (;;) {
      const response = await fetch(`${url('o')}?offset=${offset}`);
      const page = (await response.json()) as number[];
      if (page.length === 0) break;
      read.push(...page);
      offset = response.headers.get('stream-next-offset') as string;
      offsets.push(offset);
    }
    expect(read).toEqual(values);
    expect([...offsets].sort()).toEqual(offsets);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(offsets.some((o) => Number((decodeOffset(o) as string).split('-')[1]) >= 10)).toBe(true);
  });

  it('read from any of them gets exactly what follows it', async () => {
    const { stream: url } = await start();
    await fetch(url('r'), { method: 'PUT', headers: text });
    const offsets: string[] = [];
    for (const part of ['a', 'b', 'c', 'd']) {
      const response = await fetch(url('r'), { method: 'POST', headers: text, body: part });
      offsets.push(response.headers.get('stream-next-offset') as string);
    }
    expect(await (await fetch(`${url('r')}?offset=${offsets[1]}`)).text()).toBe('cd');
    expect(await (await fetch(`${url('r')}?offset=-1`)).text()).toBe('abcd');
  });
});

describe('catch-up responses', () => {
  it('carry a chunk’s worth across store pages, and no more than maxChunkBytes', async () => {
    const { stream: url } = await start({ readLimit: 3, maxChunkBytes: 40 });
    await fetch(url('pages'), { method: 'PUT', headers: text });
    const parts = Array.from({ length: 35 }, (_, i) => `m${String(i).padStart(2, '0')},`);
    for (const part of parts) await fetch(url('pages'), { method: 'POST', headers: text, body: part });
    // 10 messages of 4 bytes fill 40 bytes: read from four pages of 3, the rest left for the next response.
    const bodies: string[] = [];
    let offset = '-1';
    for (;;) {
      const response = await fetch(`${url('pages')}?offset=${offset}`);
      bodies.push(await response.text());
      offset = response.headers.get('stream-next-offset') as string;
      if (response.headers.get('stream-up-to-date') === 'true') break;
    }
    expect(bodies.join('')).toBe(parts.join(''));
    expect(bodies.map((body) => body.length)).toEqual([40, 40, 40, 20]);
  });

  it('of many pages come as one when they fit in maxChunkBytes', async () => {
    const { stream: url } = await start({ readLimit: 10 });
    await fetch(url('one'), { method: 'PUT', headers: text });
    const parts = Array.from({ length: 35 }, (_, i) => `${i};`);
    for (const part of parts) await fetch(url('one'), { method: 'POST', headers: text, body: part });
    const response = await fetch(`${url('one')}?offset=-1`);
    expect(await response.text()).toBe(parts.join(''));
    expect(response.headers.get('stream-up-to-date')).toBe('true');
  });
});

describe('410 Gone (beyond the reference server)', () => {
  it('for an offset before the retained history, exact as ReplayRail expiry is', async () => {
    const { stream: url } = await start({ retention: { maxLength: 10 } });
    await fetch(url('trimmed'), { method: 'PUT', headers: text });
    const offsets: string[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await fetch(url('trimmed'), { method: 'POST', headers: text, body: `${i},` });
      offsets.push(response.headers.get('stream-next-offset') as string);
    }
    const gone = await fetch(`${url('trimmed')}?offset=${offsets[0]}`);
    expect(gone.status).toBe(410);
    expect((await gone.json()).error.code).toBe('replay_window_expired');
    // Long-poll and SSE are told the same, before their response starts.
    expect((await fetch(`${url('trimmed')}?offset=${offsets[0]}&live=long-poll`)).status).toBe(410);
    expect((await fetch(`${url('trimmed')}?offset=${offsets[0]}&live=sse`)).status).toBe(410);
    // What is retained reads as usual; the start reads from the first retained message.
    const recent = await fetch(`${url('trimmed')}?offset=${offsets[25]}`);
    expect(await recent.text()).toBe('26,27,28,29,');
    expect((await fetch(`${url('trimmed')}?offset=-1`)).status).toBe(200);
  });

  it('reaches the Durable Streams client as a FetchError with status 410', async () => {
    const { stream: url } = await start({ retention: { maxLength: 5 } });
    await fetch(url('client-410'), { method: 'PUT', headers: text });
    const first = await fetch(url('client-410'), { method: 'POST', headers: text, body: 'first' });
    for (let i = 0; i < 20; i++) await fetch(url('client-410'), { method: 'POST', headers: text, body: 'x' });
    const offset = first.headers.get('stream-next-offset') as string;
    await expect(stream({ url: url('client-410'), offset, live: false })).rejects.toMatchObject({ status: 410 });
  });
});

describe('CORS and browser headers', () => {
  it('answer a preflight, and expose the protocol headers on every response', async () => {
    const { stream: url } = await start({ allowOrigin: 'https://app.example' });
    const preflight = await fetch(url('cors'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Producer-Id/);
    const missing = await fetch(url('cors'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-expose-headers')).toMatch(/Stream-Next-Offset/);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('@durable-streams/client against the server', () => {
  it('reads in catch-up, long-poll and SSE modes, resuming from an offset', async () => {
    const { stream: url } = await start();
    const handle = await DurableStream.create({ url: url('client'), contentType: 'application/json' });
    await handle.append(JSON.stringify({ n: 1 }));
    await handle.append(JSON.stringify({ n: 2 }));

    const catchUp = await stream<{ n: number }>({ url: url('client'), live: false });
    expect(await catchUp.json()).toEqual([{ n: 1 }, { n: 2 }]);
    const resumeAt = catchUp.offset;

    for (const live of ['long-poll', 'sse'] as const) {
      const response = await stream<{ n: number }>({ url: url('client'), offset: resumeAt, live });
      const items: { n: number }[] = [];
      const n = live === 'sse' ? 4 : 3;
      const got = new Promise<void>((resolve) => {
        response.subscribeJson((batch) => {
          items.push(...batch.items);
          if (items.some((item) => item.n === n)) resolve();
        });
      });
      await handle.append(JSON.stringify({ n }));
      await got;
      response.cancel();
      expect(items).toEqual(live === 'sse' ? [{ n: 3 }, { n: 4 }] : [{ n: 3 }]);
    }
  });

  it('IdempotentProducer: batches, retries deduplicated, a restart fences the old epoch', async () => {
    const { stream: url } = await start();
    const handle = await DurableStream.create({ url: url('producer'), contentType: 'application/json' });
    const errors: Error[] = [];
    const producer = new IdempotentProducer(handle, 'writer-1', { onError: (error) => errors.push(error) });
    for (let i = 0; i < 50; i++) producer.append(JSON.stringify({ i }));
    await producer.flush();
    // The same batch sent again (a retry after a lost answer) is a duplicate: nothing new stored.
    const retry = await fetch(url('producer'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'producer-id': 'writer-1',
        'producer-epoch': '0',
        'producer-seq': '0',
      },
      body: '[{"i":0}]',
    });
    expect(retry.status).toBe(204);
    await producer.restart();
    producer.append(JSON.stringify({ i: 50 }));
    await producer.flush();
    const zombie = await fetch(url('producer'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'producer-id': 'writer-1',
        'producer-epoch': '0',
        'producer-seq': '99',
      },
      body: '{"zombie":true}',
    });
    expect(zombie.status).toBe(403);
    expect(zombie.headers.get('producer-epoch')).toBe('1');
    await producer.close();
    expect(errors).toEqual([]);
    const all = await (await stream<{ i: number }>({ url: url('producer'), live: false })).json();
    expect(all).toEqual(Array.from({ length: 51 }, (_, i) => ({ i })));
    expect((await fetch(url('producer'), { method: 'HEAD' })).headers.get('stream-closed')).toBe('true');
  });
});
