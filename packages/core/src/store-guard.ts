/**
 * @module
 * What a store raises is the store's failure. A store should throw ReplayRail
 * errors; when it throws anything else (a third-party store, a driver's error that
 * slipped through), the caller must still see `store_error`, never a bare error
 * that a transport would report as a bug in the application (`internal_error`).
 */

import { isReplayRailError, StoreError } from './errors.js';
import type { AppendRequest, EventStore, ReadQuery, ReplayQuery, StreamRef } from './store/event-store.js';
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

/** `store`, with every failure it raises as a ReplayRail error (`StoreError` for a foreign one). */
export class GuardedStore implements EventStore {
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
  }

  append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent> {
    return call(() => this.#store.append(stream, request), this.#failedAppend);
  }

  replay(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]> {
    return call(() => this.#store.replay(stream, query), this.#failedReplay);
  }

  read(stream: StreamRef, query: ReadQuery): Promise<StoredEvent[]> {
    const { signal } = query;
    if (signal === undefined) return call(() => this.#store.read(stream, query), this.#failedRead);
    // An aborted read rejects with the caller's own reason, which is not a store failure.
    return call(
      () => this.#store.read(stream, query),
      (error) => {
        if (signal.aborted && error === signal.reason) throw error;
        return this.#failedRead(error);
      },
    );
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
