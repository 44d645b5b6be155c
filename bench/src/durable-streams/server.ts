/**
 * @module
 * The Durable Streams benchmark's server process, one per target and round.
 * `ours`: packages/durable-streams/examples/server.mjs imported as it is, with
 * `PORT`, `REDIS_URL` and `LONG_POLL_TIMEOUT_MS` set (ReplayRail on Redis; its
 * banner goes to stderr). `reference`: `@durable-streams/server`'s
 * `DurableStreamTestServer` in memory mode (no `dataDir`), its other options at their
 * defaults (compression on) but the long-poll timeout, which both get alike. The
 * driver asks it for its CPU time (`process.cpuUsage()`, µs) around each measured
 * phase; it serves nothing else over IPC.
 */

import { createServer } from 'node:net';
import { DurableStreamTestServer } from '@durable-streams/server';
import { serve } from '../ipc.js';
import { LONG_POLL_MS, REDIS_URL, sleep, type Target } from './shared.js';

const EXAMPLE = new URL('../../../packages/durable-streams/examples/server.mjs', import.meta.url);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startOurs(): Promise<string> {
  const port = await freePort();
  process.env.PORT = String(port);
  process.env.REDIS_URL = REDIS_URL;
  process.env.LONG_POLL_TIMEOUT_MS = String(LONG_POLL_MS);
  // Keys of its own: another run's clean-up of the rail's default prefix leaves them be.
  process.env.STREAM_PREFIX = 'bench-ds';
  // The example prints its banner with console.log: stdout is the driver's report.
  console.log = (...args: unknown[]) => console.error(...args);
  await import(EXAMPLE.href);
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await fetch(`${base}/`)
      .then(async (response) => {
        await response.arrayBuffer();
        return response.ok;
      })
      .catch(() => false);
    if (ok) return base;
    await sleep(50);
  }
  throw new Error(`the example server did not answer on ${base}`);
}

async function startReference(): Promise<string> {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', longPollTimeout: LONG_POLL_MS });
  return server.start();
}

serve(async (op, args) => {
  switch (op) {
    case 'start':
      return { base: (args as Target) === 'ours' ? await startOurs() : await startReference(), pid: process.pid };
    case 'cpu': {
      const used = process.cpuUsage();
      return used.user + used.system;
    }
    case 'stop':
      return null; // serve() exits after the reply; the example's Redis connection goes with it
    default:
      throw new Error(`unknown op ${op}`);
  }
});
