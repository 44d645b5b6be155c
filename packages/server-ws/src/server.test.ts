import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, type StartTransport, socketSuite, storeFixture } from '@replayrail/testkit';
import { ReplayRailWebSocketServer } from './index.js';

const serverWs: StartTransport = async (rail, options) => {
  const { authorize, ...rest } = options;
  const server = new ReplayRailWebSocketServer({
    rail,
    ...rest,
    ...(authorize && {
      authorize: ({ request, channel }) => authorize((name) => request.headers[name] as string | undefined, channel),
    }),
  });
  const port = await server.listen(0);
  return { url: `ws://127.0.0.1:${port}/ws`, connections: () => server.connections, close: () => server.close() };
};

socketSuite(
  'server-ws, memory store',
  serverWs,
  storeFixture(() => new MemoryEventStore()),
);

const url = redisUrl();
if (url !== null) {
  socketSuite(
    'server-ws, Redis store',
    serverWs,
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}
