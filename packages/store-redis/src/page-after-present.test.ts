import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { ReplayWindowExpiredError } from '@replayrail/core/errors';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { connectionFor } from './connection.js';
import { pageAfterPresent } from './page-after-present.js';
import { RedisStreamStore } from './redis-store.js';
import { recordingProxy } from './test-support/recording-client.js';

describeWithRedis('a replay page after a present cursor, without a script', (url) => {
  let client: Redis;
  let prefix: string;
  let sent: string[][];
  let rail: ReplayRail;
  beforeAll(() => {
    client = new Redis(url);
  });
  beforeEach(() => {
    prefix = uniquePrefix('rr-page');
    sent = [];
    rail = new ReplayRail({
      store: new RedisStreamStore({ client: recordingProxy(client, sent) }),
      config: { streamPrefix: prefix },
    });
  });
  afterEach(async () => {
    await rail.close();
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });

  async function publish(count: number): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    for (let n = 0; n < count; n++) events.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
    return events;
  }
  const commandsOf = (from: number) => sent.slice(from).map((args) => args[0]?.toUpperCase());

  it('reads the page first, then XINFO, and gives the entries after the cursor', async () => {
    const events = await publish(5);
    const from = sent.length;
    const { events: page } = await rail.replay('c', { after: (events[1] as StoredEvent).id, limit: 2 });
    expect(page.map((event) => event.payload.n)).toEqual([2, 3]);
    expect(commandsOf(from)).toEqual(['XRANGE', 'XINFO']);
  });

  it('gives the same pages as the script, to the end of the stream', async () => {
    const events = await publish(7);
    const pages: number[][] = [];
    let after = (events[0] as StoredEvent).id;
    for (;;) {
      const { events: page } = await rail.replay('c', { after, limit: 3 });
      if (page.length === 0) break;
      pages.push(page.map((event) => event.payload.n as number));
      after = (page.at(-1) as StoredEvent).id;
    }
    expect(pages).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(commandsOf(0)).not.toContain('EVALSHA');
  });

  it('reports an entry deleted after the cursor before the page was read', async () => {
    const events = await publish(4);
    await client.xdel(`${prefix}:c`, (events[2] as StoredEvent).id);
    await expect(rail.replay('c', { after: (events[0] as StoredEvent).id, limit: 10 })).rejects.toThrow(
      ReplayWindowExpiredError,
    );
  });

  it('leaves to the script a cursor whose entry is gone, and a stream that is gone', async () => {
    const events = await publish(3);
    const key = `${prefix}:c`;
    const connection = connectionFor(client);
    await client.xdel(key, (events[1] as StoredEvent).id);
    expect(await pageAfterPresent(connection, key, (events[1] as StoredEvent).id, 10, '+')).toBeUndefined();
    expect(await pageAfterPresent(connection, key, (events[0] as StoredEvent).id, 10, '+')).toMatchObject({
      entries: [[(events[2] as StoredEvent).id, expect.any(Array)]],
      figures: { exists: true, cursorPresent: true, maxDeletedId: (events[1] as StoredEvent).id },
    });
    await client.del(key);
    expect(await pageAfterPresent(connection, key, (events[0] as StoredEvent).id, 10, '+')).toBeUndefined();
    // The script then says what became of the cursor.
    const from = sent.length;
    await expect(rail.replay('c', { after: (events[0] as StoredEvent).id, limit: 10 })).rejects.toMatchObject({
      code: 'stream_reset',
    });
    expect(commandsOf(from)).toContain('EVALSHA');
  });
});
