import { MemoryEventStore } from '@replayrail/store-memory';
import { multiplexedProbe, oneChannelProbe, startTableSuite, storeFixture } from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

// The start table adapter-hono runs on its four endpoints, on server-ws's two.
startTableSuite(
  'server-ws, memory store',
  storeFixture(() => new MemoryEventStore()),
  async (rail) => {
    const server = await serverWs(rail, {});
    return {
      probes: {
        'one-channel WebSocket': { use: 'subscription', probe: oneChannelProbe(server.url) },
        'multiplexed WebSocket': { use: 'subscription', probe: multiplexedProbe(server.url) },
      },
      close: () => server.close(),
    };
  },
);
