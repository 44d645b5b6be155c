import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  multiplexedSnapshotProbe,
  oneChannelSnapshotProbe,
  redisStoreFixture,
  redisUrl,
  type StoreFixture,
  snapshotSuite,
  storeFixture,
} from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

// Issue #24 on server-ws's two endpoints (adapter-hono runs it on its four).
function onServerWs(name: string, fixture: () => Promise<StoreFixture>): void {
  snapshotSuite(name, fixture, async (rail) => {
    const server = await serverWs(rail, {});
    return {
      probes: {
        'one-channel WebSocket': oneChannelSnapshotProbe(server.url),
        'multiplexed WebSocket': multiplexedSnapshotProbe(server.url),
      },
      close: () => server.close(),
    };
  });
}

onServerWs(
  'server-ws, memory store',
  storeFixture(() => new MemoryEventStore()),
);

const url = redisUrl();
if (url !== null) {
  onServerWs(
    'server-ws, Redis store',
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}
