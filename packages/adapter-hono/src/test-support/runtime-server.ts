// The adapter's routes on Bun or Deno, for runtimes.test.ts: run with
// `bun run runtime-server.ts` or `deno run -A runtime-server.ts`. Imports the built
// packages (dist), as an app on that runtime would. Prints `port <n>` when listening;
// stops when its stdin closes.
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
import { ReplayRail } from '@replayrail/core';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { MemoryEventStore } from '@replayrail/store-memory';
import { Hono } from 'hono';

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch: unknown; websocket: unknown }): { port: number };
  stdin: { stream(): ReadableStream<Uint8Array> };
};
declare const Deno: {
  serve(options: { port: number; hostname: string; onListen(address: { port: number }): void }, handler: unknown): void;
  stdin: { readable: ReadableStream<Uint8Array> };
  exit(code: number): never;
};

// The metrics, read when /stats is asked for them.
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
const reader = new CollectingReader();

async function requestsAborted(): Promise<number> {
  let sum = 0;
  for (const scope of (await reader.collect()).resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== 'replayrail.requests.aborted') continue;
      for (const point of metric.dataPoints) sum += point.value as number;
    }
  }
  return sum;
}

const rail = new ReplayRail({
  store: new MemoryEventStore(),
  config: { maxStreamLength: 50, approximateTrimming: false },
  telemetry: openTelemetry({ meterProvider: new MeterProvider({ readers: [reader] }) }),
});
// Faults the routes reported (onError): hostile input must never be one.
let faults = 0;
const app = new Hono();
const onBun = typeof Bun !== 'undefined';
const helper = onBun ? await import('hono/bun') : await import('hono/deno');
const routes = createReplayRailRoutes({
  rail,
  upgradeWebSocket: helper.upgradeWebSocket as never,
  sseKeepAliveMs: 50,
  maxConnections: 50,
  onError: () => {
    faults++;
  },
  // Slow for `slow-…` channels: a client may leave while it runs.
  authorize: async ({ channel }) => {
    if (channel.startsWith('slow-')) await new Promise((resolve) => setTimeout(resolve, 300));
    return true;
  },
});
app.route('/', routes.app);
// What the upgrades hold, the faults reported and the requests counted as aborted, for the test to watch.
app.get('/stats', async (c) =>
  c.json({
    connections: routes.connections,
    subscriptions: rail.subscriptions,
    liveChannels: rail.liveChannels,
    faults,
    aborted: await requestsAborted(),
  }),
);

let stdin: ReadableStream<Uint8Array>;
if (onBun) {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: app.fetch,
    websocket: (helper as typeof import('hono/bun')).websocket,
  });
  console.log(`port ${server.port}`);
  stdin = Bun.stdin.stream();
} else {
  Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`port ${port}`) }, app.fetch);
  stdin = Deno.stdin.readable;
}
// The test ends the process by closing stdin.
for await (const _chunk of stdin) {
  // nothing to read: waiting for the end
}
await routes.close();
if (onBun) process.exit(0);
else Deno.exit(0);
