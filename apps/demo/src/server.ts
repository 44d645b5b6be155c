/**
 * The demo's entry point: `PORT` (8000), `REDIS_URL` (unset: the memory store),
 * `STREAM_PREFIX`. Stops cleanly on Ctrl-C or SIGTERM.
 */

import { startDemo } from './app.js';

const port = Number(process.env.PORT ?? 8000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(2);
}
const demo = await startDemo({
  port,
  ...(process.env.REDIS_URL && { redisUrl: process.env.REDIS_URL }),
  ...(process.env.STREAM_PREFIX && { streamPrefix: process.env.STREAM_PREFIX }),
});
console.log(`ReplayRail demo: http://localhost:${demo.port} (${demo.store} store)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void demo.close().then(() => process.exit(0));
  });
}
