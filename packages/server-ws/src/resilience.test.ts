import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  connect,
  describeWithRedis,
  describeWithRedisServer,
  type RedisServer,
  startRedisServer,
  uniquePrefix,
} from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ReplayRailWebSocketServer } from './server.js';

describeWithRedis('two servers on one Redis', (url) => {
  it('delivers to a client of one server what is published through the other', async () => {
    const streamPrefix = uniquePrefix();
    // Two servers sharing nothing but Redis: their own clients, stores, rails and hubs.
    const clients = [new Redis(url), new Redis(url)];
    const rails = clients.map(
      (client) => new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix } }),
    );
    const servers = rails.map((rail) => new ReplayRailWebSocketServer({ rail }));
    const ports = await Promise.all(servers.map((server) => server.listen(0)));
    const onFirst = connect(`ws://127.0.0.1:${ports[0]}/ws/shared`);
    const onSecond = connect(`ws://127.0.0.1:${ports[1]}/ws/shared`);
    await Promise.all([onFirst.opened, onSecond.opened]);
    const published: StoredEvent[] = [];
    for (let n = 0; n < 10; n++)
      published.push(await (rails[n % 2] as ReplayRail).publish({ channel: 'shared', type: 't', payload: { n } }));
    for (const socket of [onFirst, onSecond]) {
      await socket.until((frames) => frames.length === 10);
      expect(socket.json().map((frame) => frame.id)).toEqual(published.map((event) => event.id));
      socket.ws.close();
    }
    for (const server of servers) await server.close();
    for (const rail of rails) await rail.close();
    await clients[0]?.del(`${streamPrefix}:shared`);
    for (const client of clients) await client.quit();
  });
});

// Its own redis-server, stopped (SIGSTOP) while sockets are subscribed.
describeWithRedisServer('sockets while Redis is stopped mid-stream', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps clients waiting while Redis is stopped, then delivers everything once it is back', async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    const publisherClient = new Redis(server.url, { maxRetriesPerRequest: 1 });
    publisherClient.on('error', () => {});
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client, commandTimeoutMs: 200 }),
      config: { streamPrefix, readBlockMs: 100 },
    });
    const publisher = new ReplayRail({
      store: new RedisStreamStore({ client: publisherClient }),
      config: { streamPrefix },
    });
    const sockets = new ReplayRailWebSocketServer({ rail });
    const port = await sockets.listen(0);
    const socket = connect(`ws://127.0.0.1:${port}/ws/live`);
    await socket.opened;
    const before = await publisher.publish({ channel: 'live', type: 't', payload: { n: 0 } });
    await socket.until((frames) => frames.length === 1);

    server.signal('SIGSTOP');
    // The live read times out and retries with backoff; the socket stays open.
    await new Promise((resolve) => setTimeout(resolve, 800));
    server.signal('SIGCONT');
    const after: StoredEvent[] = [];
    for (let n = 1; n <= 5; n++) after.push(await publisher.publish({ channel: 'live', type: 't', payload: { n } }));
    await socket.until((frames) => frames.length === 6, 'the events published after Redis came back');
    expect(socket.json().map((frame) => frame.id)).toEqual([before, ...after].map((event) => event.id));
    socket.ws.close();
    await sockets.close();
    await rail.close();
    await publisher.close();
    client.disconnect();
    publisherClient.disconnect();
  });
});
