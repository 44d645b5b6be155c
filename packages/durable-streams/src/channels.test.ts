// The rail's channels as read-only JSON streams: each event's envelope one message,
// the offset its cursor encoded; catch-up with rail.replay, live with rail.subscribe.

import { stream } from '@durable-streams/client';
import type { StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeOffset } from './offsets.js';
import { type Served, serveRoutes } from './test-support/harness.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const start = async (config?: Parameters<typeof serveRoutes>[2]) => {
  served = await serveRoutes(new MemoryEventStore(), { longPollTimeoutMs: 500 }, config);
  const { rail, baseUrl } = served;
  const channel = (name: string) => `${baseUrl}/v1/channel/${name}`;
  const publish = (name: string, n: number) => rail.publish({ channel: name, type: 'order.created', payload: { n } });
  return { rail, channel, publish };
};

const payloads = (events: StoredEvent[]) => events.map((event) => (event.payload as { n: number }).n);

describe('a channel as a JSON stream', () => {
  it('reads each event envelope as one JSON message, offsets its cursors', async () => {
    const { channel, publish } = await start();
    const first = await publish('orders', 1);
    const second = await publish('orders', 2);
    const response = await fetch(`${channel('orders')}?offset=-1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('stream-next-offset')).toBe(encodeOffset(second.id));
    expect(response.headers.get('stream-up-to-date')).toBe('true');
    const events = (await response.json()) as StoredEvent[];
    expect(events.map((event) => event.id)).toEqual([first.id, second.id]);
    expect(payloads(events)).toEqual([1, 2]);
    expect(events[0]).toMatchObject({ channel: 'orders', type: 'order.created' });

    const after = await fetch(`${channel('orders')}?offset=${encodeOffset(first.id)}`);
    expect(payloads(await after.json())).toEqual([2]);
    const head = await fetch(channel('orders'), { method: 'HEAD' });
    expect(head.headers.get('stream-next-offset')).toBe(encodeOffset(second.id));
    const now = await fetch(`${channel('orders')}?offset=now`);
    expect(await now.json()).toEqual([]);
    expect(now.headers.get('stream-next-offset')).toBe(encodeOffset(second.id));
  });

  it('a channel without events reads empty, at the start', async () => {
    const { channel } = await start();
    const response = await fetch(channel('empty'));
    expect(await response.json()).toEqual([]);
    expect(response.headers.get('stream-next-offset')).toBe(encodeOffset('0-0'));
  });

  it('long-polls at its tail: an event published meanwhile, or 204 with a cursor', async () => {
    const { channel, publish } = await start();
    const last = await publish('live', 1);
    const waiting = fetch(`${channel('live')}?offset=${encodeOffset(last.id)}&live=long-poll`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await publish('live', 2);
    const response = await waiting;
    expect(response.status).toBe(200);
    expect(payloads(await response.json())).toEqual([2]);
    expect(response.headers.get('stream-next-offset')).toBe(encodeOffset(next.id));
    expect(response.headers.get('stream-cursor')).toMatch(/^\d+$/);

    const idle = await fetch(`${channel('live')}?offset=${encodeOffset(next.id)}&live=long-poll`);
    expect(idle.status).toBe(204);
    expect(idle.headers.get('stream-next-offset')).toBe(encodeOffset(next.id));
    expect(idle.headers.get('stream-up-to-date')).toBe('true');
  });

  it('follows it with SSE: catch-up, then live events', async () => {
    const { channel, publish } = await start();
    await publish('sse', 1);
    const response = await fetch(`${channel('sse')}?offset=-1&live=sse`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('stream-sse-data-encoding')).toBeNull();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (text: string) => {
      while (!received.includes(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`ended before ${text}`);
        received += decoder.decode(value);
      }
    };
    await readUntil('"upToDate":true');
    const live = await publish('sse', 2);
    await readUntil(encodeOffset(live.id));
    await reader.cancel();
    const data = received
      .split('\n\n')
      .filter((block) => block.startsWith('event: data'))
      .flatMap((block) => JSON.parse(block.slice(block.indexOf('data:') + 5)) as StoredEvent[]);
    expect(payloads(data)).toEqual([1, 2]);
  });

  it('is read by the Durable Streams client, live', async () => {
    const { channel, publish } = await start();
    await publish('client', 1);
    const response = await stream<StoredEvent>({ url: channel('client'), offset: '-1', live: 'sse' });
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      response.subscribeJson((batch) => {
        seen.push(...payloads(batch.items as StoredEvent[]));
        if (seen.includes(2)) resolve();
      });
    });
    await publish('client', 2);
    await done;
    response.cancel();
    expect(seen).toEqual([1, 2]);
  });

  it('is read-only: PUT, POST and DELETE get 405', async () => {
    const { channel } = await start();
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const response = await fetch(channel('orders'), {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'DELETE' ? null : '{}',
      });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
  });

  it('refuses a channel name the rail refuses, and a malformed offset, with 400', async () => {
    const { channel } = await start();
    expect((await fetch(channel('bad channel'))).status).toBe(400);
    expect((await fetch(`${channel('orders')}?offset=1-0`)).status).toBe(400);
  });

  it('answers 410 for an offset before the retained history', async () => {
    const { channel, publish } = await start({ maxStreamLength: 5 });
    const first = await publish('trimmed', 0);
    for (let i = 1; i < 40; i++) await publish('trimmed', i);
    const response = await fetch(`${channel('trimmed')}?offset=${encodeOffset(first.id)}`);
    expect(response.status).toBe(410);
    expect((await fetch(`${channel('trimmed')}?offset=${encodeOffset(first.id)}&live=sse`)).status).toBe(410);
  });
});
