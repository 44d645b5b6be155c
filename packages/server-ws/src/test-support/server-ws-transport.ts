import type { StartTransport } from '@replayrail/testkit';
import { ReplayRailWebSocketServer } from '../index.js';

/** server-ws as a transport of the shared suites, on a loopback port of its own. */
export const serverWs: StartTransport = async (rail, options) => {
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
