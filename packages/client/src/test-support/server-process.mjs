// A ReplayRail server in a process of its own, for the client's integration and
// browser tests, which kill it (SIGKILL) and start it again on the same port.
// Arguments: <server-ws | adapter-hono> <port> <redis url> <stream prefix> [static dir].
// Loads the built packages (dist/). Prints "ready" once listening.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';

const [transport, port, redisUrl, prefix, staticDir] = process.argv.slice(2);
const rail = new ReplayRail({
  store: new RedisStreamStore({ client: new Redis(redisUrl) }),
  config: { streamPrefix: prefix },
});

if (transport === 'server-ws') {
  const { ReplayRailWebSocketServer } = await import('@replayrail/server-ws');
  await new ReplayRailWebSocketServer({ rail }).listen(Number(port));
} else {
  const { serve } = await import('@hono/node-server');
  const { createNodeWebSocket } = await import('@hono/node-ws');
  const { createReplayRailRoutes } = await import('@replayrail/adapter-hono');
  const { Hono } = await import('hono');
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  app.route('/', createReplayRailRoutes({ rail, upgradeWebSocket, webSocketServer: wss }).app);
  if (staticDir !== undefined) {
    // The browser test's page and the client bundle it loads.
    const file = (name, type) => async (c) =>
      c.body(await readFile(join(staticDir, name), 'utf8'), 200, { 'content-type': type });
    app.get('/', file('index.html', 'text/html; charset=utf-8'));
    app.get('/client.js', file('client.js', 'text/javascript; charset=utf-8'));
  }
  const server = serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' });
  injectWebSocket(server);
  await new Promise((resolve) => server.once('listening', resolve));
}
console.log('ready');
