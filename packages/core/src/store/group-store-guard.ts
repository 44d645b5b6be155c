/**
 * @module
 * `GroupStore` calls with every failure as a ReplayRail error, as store-guard.ts
 * does for `EventStore`: a foreign throw becomes `StoreError`, an aborted read
 * rejects with the caller's own reason.
 */

import { call, storeFailure } from '../store-guard.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { GroupStore } from './group-store.js';

const METHODS = [
  'createGroup',
  'readGroup',
  'pendingOf',
  'ack',
  'touch',
  'redeliver',
  'claimIdle',
  'deadLetter',
  'deadLetters',
  'redrive',
  'discard',
  'groupInfo',
  'removeIdleConsumers',
] as const satisfies readonly (keyof GroupStore)[];

/** `store`'s group methods, guarded. */
export function guardGroupStore(store: GroupStore, telemetry?: Telemetry): GroupStore {
  const guarded: Partial<Record<keyof GroupStore, unknown>> = {};
  for (const name of METHODS) {
    const failed = storeFailure(name, telemetry);
    const method = store[name] as (...args: unknown[]) => Promise<unknown>;
    guarded[name] = (...args: unknown[]) => call(() => method.apply(store, args), failed);
  }
  const failedRead = storeFailure('readGroup', telemetry);
  guarded.readGroup = ((ref, query) =>
    call(
      () => store.readGroup(ref, query),
      (error) => {
        if (query.signal?.aborted && error === query.signal.reason) throw error;
        return failedRead(error);
      },
    )) satisfies GroupStore['readGroup'];
  return guarded as GroupStore;
}
