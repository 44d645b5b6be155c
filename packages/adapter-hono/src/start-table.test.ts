import { MemoryEventStore } from '@replayrail/store-memory';
import { multiplexedProbe, oneChannelProbe, type StartProbe, startTableSuite, storeFixture } from '@replayrail/testkit';
import { startApp } from './test-support/node-app.js';
import { openSse } from './test-support/sse-client.js';

// The start table on every endpoint the adapter serves: both WebSocket endpoints,
// Server-Sent Events and HTTP pages (server-ws runs it on its two).
function sseProbe(base: string): StartProbe {
  return async (channel, params, marker) => {
    const stream = await openSse(`${base}/events/${channel}?${new URLSearchParams(params)}`);
    if (stream.status !== 200) {
      await stream.ended;
      return { error: (JSON.parse(stream.text()) as { error: { code: string } }).error.code };
    }
    const last = await marker();
    await stream.until(() => stream.messages.some((message) => message.id === last.id), 'the marker');
    stream.drop();
    return { events: stream.messages.slice(0, -1).map((message) => message.id as string) };
  };
}

function pageProbe(base: string): StartProbe {
  return async (channel, params) => {
    const response = await fetch(`${base}/events/${channel}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { events?: { id: string }[]; error?: { code: string } };
    if (response.status !== 200) return { error: body.error?.code ?? String(response.status) };
    return { events: (body.events ?? []).map((event) => event.id) };
  };
}

startTableSuite(
  'adapter-hono on @replayrail/adapter-hono/node, memory store',
  storeFixture(() => new MemoryEventStore()),
  async (rail) => {
    const app = await startApp(rail);
    const ws = `${app.base.replace('http', 'ws')}/ws`;
    return {
      probes: {
        'one-channel WebSocket': { use: 'subscription', probe: oneChannelProbe(ws) },
        'multiplexed WebSocket': { use: 'subscription', probe: multiplexedProbe(ws) },
        'Server-Sent Events': { use: 'subscription', probe: sseProbe(app.base) },
        'HTTP page': { use: 'page', probe: pageProbe(app.base) },
      },
      close: () => app.close(),
    };
  },
);
