/**
 * Fanout benchmark, the publisher process of one stack. ReplayRail: `rail.publish`
 * through a `ReplayRail` on the same Redis prefix as the server. Socket.IO:
 * `io.to(room).emit` from a Socket.IO server instance (no listener, no sockets) that
 * shares the server's Redis Streams adapter settings, so each emit is one XADD the
 * server process reads and broadcasts. Publishes `count` events at a fixed rate, or
 * all at once (rate 0), each stamped with its send time; it measures nothing itself.
 * With `telemetry`, its rail reports to the OpenTelemetry SDK (otel-sdk.ts, loaded only then).
 */

import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serve } from '../ipc.js';
import type { OtelSdk } from '../otel-sdk.js';
import {
  isRail,
  now,
  type Payload,
  REDIS_URL,
  railConfig,
  type StackOptions,
  samplePayload,
  sioAdapterOptions,
  sleep,
} from './shared.js';

/** Sends one event without waiting for it. */
let publish = (_payload: Payload): void => {};
/** Resolves when every event sent so far is in Redis. */
let flush = async (): Promise<void> => {};
let close = async (): Promise<void> => {};
let sdk: OtelSdk | undefined;

async function start(options: StackOptions): Promise<void> {
  if (options.telemetry === true) {
    if (!isRail(options.target)) throw new Error('telemetry is for ReplayRail publishers');
    sdk = (await import('../otel-sdk.js')).startOtelSdk();
  }
  const redis = new Redis(REDIS_URL, { connectionName: `${options.prefix}-${options.name}-publisher` });
  redis.on('error', () => {});
  if (isRail(options.target)) {
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: railConfig(options),
      ...(sdk === undefined ? {} : { telemetry: sdk.telemetry }),
    });
    let pending: Promise<unknown>[] = [];
    let failure: unknown;
    publish = (payload) => {
      pending.push(
        rail.publish({ channel: options.name, type: 'bench.tick', payload }).catch((error: unknown) => {
          failure ??= error;
        }),
      );
    };
    flush = async () => {
      await Promise.all(pending);
      pending = [];
      if (failure !== undefined) throw failure;
    };
    close = async () => {
      await rail.close();
      await redis.quit();
      await sdk?.shutdown();
    };
    return;
  }
  const io = new Server({ adapter: createAdapter(redis, sioAdapterOptions(options)) });
  const room = io.to(options.name);
  publish = (payload) => {
    room.emit('tick', payload); // the adapter sends its XADD right away, in call order
  };
  // A command sent after the XADDs on the same connection is answered after them.
  flush = async () => {
    await redis.ping();
  };
  close = async () => {
    await io.close();
    await redis.quit();
  };
}

/** Publishes `count` events tagged `phase`: `rate` per second, or all at once when `rate` is 0. */
async function run({ phase, count, rate }: { phase: string; count: number; rate: number }) {
  const firstAt = now();
  for (let seq = 0; seq < count; seq++) {
    if (rate > 0) {
      const wait = firstAt + (seq * 1000) / rate - now();
      if (wait > 0) await sleep(wait);
    }
    publish(samplePayload(phase, seq));
  }
  const sentAt = now();
  await flush();
  return { firstAt, sentAt, storedAt: now() };
}

serve(async (op, args) => {
  switch (op) {
    case 'start':
      return start(args as StackOptions);
    case 'run':
      return run(args as { phase: string; count: number; rate: number });
    case 'exported': {
      if (sdk === undefined) return null;
      await sdk.flush();
      return { spans: sdk.spans() };
    }
    case 'stop':
      return close();
    default:
      throw new Error(`unknown op ${op}`);
  }
});
