/**
 * @module
 * Runs the kitchen service for the demo server:
 *
 * - on Redis as its own process (kitchen-process.ts), run by process-supervisor.ts
 *   as the printer is: started again when it dies, stopped with the demo;
 * - on the memory store in the demo's process, on the demo's rail (a memory store
 *   cannot be shared between processes).
 *
 * The board's server calls it all the same (`kitchen.estimate` over the rail): only
 * where the answer is computed differs.
 */

import type { ReplayRail } from '@replayrail/core';
import { type Kitchen, startKitchen } from './kitchen.js';
import { logFailure } from './printer.js';
import { type ReadyMessage, superviseChildProcess } from './process-supervisor.js';
import type { KitchenStatus } from './rpc-api.js';
import { kitchenConcurrencyEnv } from './rpc-limits.js';

export interface KitchenSupervisor {
  status(): KitchenStatus;
  close(): Promise<void>;
}

export interface KitchenSettings {
  /** Estimates computed at once. */
  concurrency: number;
}

/** The kitchen in the demo's process, on the demo's rail (the memory store). */
export async function superviseKitchenInProcess(
  rail: ReplayRail,
  settings: KitchenSettings,
): Promise<KitchenSupervisor> {
  const name = `kitchen-${process.pid}`;
  let kitchen: Kitchen | undefined = await startKitchen(rail, {
    name,
    concurrency: settings.concurrency,
    onError: logFailure(name),
  });
  return {
    status: () => ({ mode: 'in-process', name, pid: process.pid, state: kitchen ? 'running' : 'stopped' }),
    async close() {
      await kitchen?.stop();
      kitchen = undefined;
    },
  };
}

export interface KitchenProcessSettings extends KitchenSettings {
  redisUrl: string;
  streamPrefix?: string;
  /** The built kitchen-process.js. @default the one beside this module */
  script?: URL;
}

/** The kitchen as its own process (kitchen-process.ts), on Redis. */
export function superviseKitchenProcess(settings: KitchenProcessSettings): KitchenSupervisor {
  // Named by the process itself (`kitchen-<pid>`), so two demos on one Redis never share a consumer name.
  let name = 'kitchen';
  let state: KitchenStatus['state'] = 'starting';
  const children = superviseChildProcess<ReadyMessage>({
    script: settings.script ?? new URL('./kitchen-process.js', import.meta.url),
    next: () => {
      const env: Record<string, string> = {
        REDIS_URL: settings.redisUrl,
        ...kitchenConcurrencyEnv(settings.concurrency),
      };
      if (settings.streamPrefix !== undefined) env.STREAM_PREFIX = settings.streamPrefix;
      return { name: 'kitchen', env };
    },
    onStart: () => {
      state = 'starting';
    },
    onMessage: (_, message) => {
      name = message.name;
      state = 'running';
    },
    onExit: () => {
      state = 'stopped';
    },
  });
  return {
    status: () => ({ mode: 'process', name, pid: children.pid(), state }),
    close: () => children.close(),
  };
}
