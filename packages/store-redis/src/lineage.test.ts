import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { recordingProxy } from './test-support/recording-client.js';

const CHANNELS = ['shop:orders', 'shop:kitchen', 'shop:tickets'];

// An entry in the Python library's layout, as another writer adds it (not indexed).
function entryFields(n: number): string[] {
  return [
    'event_id',
    `bulk-${n}`,
    'channel',
    CHANNELS[n % 3] as string,
    'type',
    'bulk.event',
    'payload',
    `{"n":${n}}`,
    'actor',
    'null',
    'metadata',
    `{"correlation_id":"bulk-${n % 1000}"}`,
    'created_at',
    '2026-06-29T12:00:00.123000Z',
  ];
}

describeWithRedis('the lineage index on Redis', (url) => {
  let client: Redis;
  let prefix: string;
  beforeAll(() => {
    client = new Redis(url);
  });
  afterEach(async () => {
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });

  it('reads one correlation among 100,000 unrelated events with one SMEMBERS and one script per channel, touching only its entries', async () => {
    prefix = uniquePrefix();
    const sent: string[][] = [];
    const store = new RedisStreamStore({ client: recordingProxy(client, sent) });
    const rail = new ReplayRail({
      store,
      config: { streamPrefix: prefix, maxStreamLength: null, lineage: { index: true } },
    });
    // 100,000 events of other writers, in pipelines, and 300 of 30 other workflows
    // through the rail (indexed under their own correlations).
    for (let start = 0; start < 100_000; start += 5_000) {
      const pipeline = client.pipeline();
      for (let n = start; n < start + 5_000; n++) pipeline.xadd(`${prefix}:${CHANNELS[n % 3]}`, '*', ...entryFields(n));
      await pipeline.exec();
    }
    let cause: StoredEvent | undefined;
    const workflow: StoredEvent[] = [];
    for (let n = 0; n < 300; n++) {
      await rail.publish({
        channel: CHANNELS[n % 3] as string,
        type: 'other',
        payload: { n },
        metadata: { correlation_id: `other-${n % 30}` },
      });
      if (n % 60 === 0) {
        const channel = CHANNELS[workflow.length % 3] as string;
        cause = await rail.publish(
          cause === undefined
            ? { channel, type: 'step', payload: {}, metadata: { correlation_id: 'wf' } }
            : { channel, type: 'step', payload: {}, causedBy: cause },
        );
        workflow.push(cause);
      }
    }
    await rail.lineage('wf'); // loads the script on the server
    sent.length = 0;
    const lineage = await rail.lineage('wf');
    expect(lineage.nodes.map(({ event }) => event.event_id)).toEqual(workflow.map((event) => event.event_id));
    expect(lineage.edges).toHaveLength(workflow.length - 1);
    const keys = CHANNELS.map((channel) => store.lineageKeys({ prefix, channel }, 'wf'));
    expect(sent.map((args) => args[0])).toEqual(['SMEMBERS', 'EVALSHA', 'EVALSHA', 'EVALSHA']);
    expect(sent[0]).toEqual(['SMEMBERS', keys[0]?.channels]);
    // Each script names the channel's index of the correlation and its stream, nothing else.
    const scripts = sent.slice(1).map((args) => args.slice(3, 3 + Number(args[2])));
    expect(scripts.sort()).toEqual(
      CHANNELS.map((channel, i) => [keys[i]?.index, `${prefix}:${channel}`]).sort() as string[][],
    );
    // What those scripts read: the correlation's own entries, one index element each.
    const lengths = await Promise.all(keys.map(({ index }) => client.llen(index)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(workflow.length);
  }, 120_000);

  it('keeps an index as long as its channel keeps events, its set of channels twice as long, at most maxEntries', async () => {
    prefix = uniquePrefix();
    const store = new RedisStreamStore({ client });
    const rail = new ReplayRail({
      store,
      config: {
        streamPrefix: prefix,
        channels: [{ match: 'aged', maxStreamAge: 60_000 }],
        lineage: { index: true, maxEntries: 3 },
      },
    });
    for (let n = 0; n < 5; n++) {
      await rail.publish({ channel: 'aged', type: 't', payload: { n }, metadata: { correlation_id: 'w' } });
    }
    await rail.publish({ channel: 'plain', type: 't', payload: {}, metadata: { correlation_id: 'w' } });
    const aged = store.lineageKeys({ prefix, channel: 'aged' }, 'w');
    const plain = store.lineageKeys({ prefix, channel: 'plain' }, 'w');
    expect(aged.index).toBe(`${prefix}:{aged}:lineage:w`);
    expect(aged.channels).toBe(`${prefix}:lineage:{w}`);
    expect(await client.llen(aged.index)).toBe(3);
    const [agedTtl, plainTtl, setTtl] = await Promise.all([
      client.pttl(aged.index),
      client.pttl(plain.index),
      client.pttl(aged.channels),
    ]);
    expect(agedTtl).toBeGreaterThan(0);
    expect(agedTtl).toBeLessThanOrEqual(60_000);
    // The plain channel has no age: the lineage's own ttlMs (7 days), and the set twice that.
    expect(plainTtl).toBeGreaterThan(60_000);
    expect(plainTtl).toBeLessThanOrEqual(7 * 86_400_000);
    expect(setTtl).toBeGreaterThan(7 * 86_400_000);
    expect((await client.smembers(aged.channels)).sort()).toEqual(['aged', 'plain']);
    // As a set: two channels' events of one millisecond have no order between them.
    const shown = (await rail.lineage('w')).nodes.map(({ event }) => String(event.payload.n));
    expect(shown.sort()).toEqual(['2', '3', '4', 'undefined']);

    const forever = new ReplayRail({ store, config: { streamPrefix: prefix, lineage: { index: true, ttlMs: null } } });
    await forever.publish({ channel: 'kept', type: 't', payload: {}, metadata: { correlation_id: 'k' } });
    const kept = store.lineageKeys({ prefix, channel: 'kept' }, 'k');
    expect(await Promise.all([client.pttl(kept.index), client.pttl(kept.channels)])).toEqual([-1, -1]);
  });
});
