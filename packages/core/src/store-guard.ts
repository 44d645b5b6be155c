/**
 * @module
 * What a store raises is the store's failure. A store should throw ReplayRail
 * errors; when it throws anything else (a third-party store, a driver's error that
 * slipped through), the caller must still see `store_error`, never a bare error
 * that a transport would report as a bug in the application (`internal_error`).
 * The same holds for its consumer groups (`store.groups`), raw streams (`store.raw`),
 * channel state (`store.state`), lineage index (`store.lineage`) and durable streams
 * (`store.durableStreams`).
 */

import { isReplayRailError, StoreError } from './errors.js';
import type { DurableStreamStore } from './store/durable-stream-store.js';
import type { AppendRequest, EventStore, ReplayQuery } from './store/event-store.js';
import type { GroupStore } from './store/group-store.js';
import type { LineageStore } from './store/lineage-store.js';
import type { RawStreams } from './store/raw-streams.js';
import type { ReadQuery } from './store/read-query.js';
import type { StateStore } from './store/state-store.js';
import type { StreamRef } from './store/stream-ref.js';
import type { Telemetry } from './telemetry/telemetry.js';
import type { Cursor, StoredEvent } from './types.js';

/**
 * A rejection handler that turns a foreign failure of `operation` into a
 * `StoreError`; with `telemetry`, the store's own failures are counted.
 */
export function storeFailure(operation: string, telemetry?: Telemetry): (error: unknown) => never {
  return (error) => {
    const failure = isReplayRailError(error)
      ? error
      : new StoreError(`the store failed during ${operation}`, { cause: error, context: { operation } });
    if (telemetry !== undefined && isReplayRailError(failure, 'store_error', 'store_unavailable', 'store_closed')) {
      telemetry.storeFailed(operation, failure.code);
    }
    throw failure;
  };
}

/** Runs a store call, its failures (a synchronous throw included) through `failed`. */
export function call<T>(run: () => Promise<T>, failed: (error: unknown) => never): Promise<T> {
  try {
    return run().then(undefined, failed);
  } catch (error) {
    return Promise.reject(error).then(undefined, failed);
  }
}

// A call aborted by its caller (a read's `signal`) rejects with the caller's own
// reason, which is not a store failure.
function failedUnlessAborted(signal: AbortSignal | undefined, failed: (error: unknown) => never) {
  if (signal === undefined) return failed;
  return (error: unknown): never => {
    if (signal.aborted && error === signal.reason) throw error;
    return failed(error);
  };
}

/**
 * `part` (a store's `groups`, `raw`, `state`, `lineage` or `durableStreams`), every
 * method's failures as ReplayRail errors: each method wrapped on first use, whatever
 * the part holds, so no list of its methods is kept here. The operation a failure
 * names is the method's name; a method that returns no promise (a key's name) is
 * passed through.
 */
function guardPart<Part extends object>(part: Part, telemetry: Telemetry | undefined): Part {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(part, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      let guarded = wrapped.get(name);
      if (guarded === undefined) {
        const failed = storeFailure(String(name), telemetry);
        guarded = (...args: unknown[]) => {
          const signal = (args[1] as { signal?: AbortSignal } | undefined)?.signal;
          let result: unknown;
          try {
            result = value.apply(target, args);
          } catch (error) {
            return Promise.reject(error).then(undefined, failedUnlessAborted(signal, failed));
          }
          if (!(result instanceof Promise)) return result;
          return result.then(undefined, failedUnlessAborted(signal, failed));
        };
        wrapped.set(name, guarded);
      }
      return guarded;
    },
  });
}

/** `store`, with every failure it raises as a ReplayRail error (`StoreError` for a foreign one). */
export class GuardedStore implements EventStore {
  /** The store's consumer groups, guarded the same way; absent when the store has none. */
  readonly groups?: GroupStore;
  /** The store's raw streams, guarded the same way; absent when the store has none. */
  readonly raw?: RawStreams;
  /** The store's channel state, guarded the same way; absent when the store keeps none. */
  readonly state?: StateStore;
  /** The store's lineage index, guarded the same way; absent when the store keeps none. */
  readonly lineage?: LineageStore;
  /** The store's durable streams, guarded the same way; absent when the store keeps none. */
  readonly durableStreams?: DurableStreamStore;
  readonly #store: EventStore;
  readonly #failedAppend;
  readonly #failedReplay;
  readonly #failedRead;
  readonly #failedLatest;
  readonly #failedHealthcheck;
  readonly #failedClose;

  constructor(store: EventStore, telemetry?: Telemetry) {
    this.#store = store;
    this.#failedAppend = storeFailure('append', telemetry);
    this.#failedReplay = storeFailure('replay', telemetry);
    this.#failedRead = storeFailure('read', telemetry);
    this.#failedLatest = storeFailure('latestCursor', telemetry);
    this.#failedHealthcheck = storeFailure('healthcheck', telemetry);
    this.#failedClose = storeFailure('close', telemetry);
    if (store.groups !== undefined) this.groups = guardPart(store.groups, telemetry);
    if (store.raw !== undefined) this.raw = guardPart(store.raw, telemetry);
    if (store.state !== undefined) this.state = guardPart(store.state, telemetry);
    if (store.lineage !== undefined) this.lineage = guardPart(store.lineage, telemetry);
    if (store.durableStreams !== undefined) this.durableStreams = guardPart(store.durableStreams, telemetry);
  }

  append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent> {
    return call(() => this.#store.append(stream, request), this.#failedAppend);
  }

  replay(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]> {
    return call(() => this.#store.replay(stream, query), this.#failedReplay);
  }

  read(stream: StreamRef, query: ReadQuery): Promise<StoredEvent[]> {
    return call(() => this.#store.read(stream, query), failedUnlessAborted(query.signal, this.#failedRead));
  }

  latestCursor(stream: StreamRef): Promise<Cursor> {
    return call(() => this.#store.latestCursor(stream), this.#failedLatest);
  }

  healthcheck(): Promise<void> {
    return call(() => this.#store.healthcheck(), this.#failedHealthcheck);
  }

  close(): Promise<void> {
    return call(() => this.#store.close(), this.#failedClose);
  }
}
