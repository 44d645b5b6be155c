/**
 * @module
 * One channel's subscription in the client: its handler, run one event at a time,
 * and its cursor, advanced only once the handler is done and then persisted. An
 * event at or before the cursor (a frame repeated after a reconnect) is dropped.
 */

import { compareCursors } from '@replayrail/core/cursor';
import type { CursorStorage } from './storage.js';
import type { ClientError, ClientEvent, ExpiredInfo, SubscriptionState } from './types.js';

/** Where a subscription starts when it has no cursor of its own. */
export type StartFrom = 'latest' | 'earliest' | (string & {});

/** Options of `client.subscribe`. */
export interface SubscribeOptions {
  /**
   * Where to start: `latest` (only new events), `earliest` (all retained), or a
   * cursor. A cursor given here wins over the stored one; otherwise the stored
   * cursor (from an earlier page load) wins. @default 'latest'
   */
  from?: StartFrom;
  /** Where to go on after expiry, once `onExpired` is done. @default 'latest' */
  resume?: 'latest' | 'earliest';
  /** The cursor is outside what the server retains: resync your state; events go on after it resolves. */
  onExpired?: (info: ExpiredInfo) => void | Promise<void>;
  onState?: (state: SubscriptionState) => void;
  /** The server refused the subscription, or the handler threw: the subscription has ended. */
  onError?: (error: ClientError) => void;
}

/** What the client does for a subscription. */
export interface SubscriptionHost {
  readonly storage: CursorStorage;
  /** Asks the server for the channel (again), from the subscription's position. */
  request(subscription: ClientSubscription<never>): void;
  /** Drops the subscription; `notify` tells the server. */
  remove(subscription: ClientSubscription<never>, notify: boolean): void;
  /** Reports an error to the client's listeners. */
  report(error: ClientError): void;
  /** Whether it serves one channel from a one-channel URL. */
  readonly single: boolean;
}

export class ClientSubscription<Event extends { id: string } = ClientEvent> {
  #cursor: string | null = null;
  #state: SubscriptionState = 'replaying';
  #closed = false;
  /** Its stored cursor is loaded: it can be asked for. */
  ready = false;
  // Each step (event, acknowledgement, state change) runs after the previous one
  // finished, so the handler sees events one at a time, in order.
  #queue: Promise<unknown>;
  /** Where it starts when it has no cursor (`latest` / `earliest`), before and after expiry. */
  from: 'latest' | 'earliest';

  constructor(
    readonly channel: string,
    readonly onEvent: (event: Event) => void | Promise<void>,
    readonly options: SubscribeOptions,
    readonly host: SubscriptionHost,
  ) {
    const given = options.from ?? 'latest';
    this.from = given === 'earliest' ? 'earliest' : 'latest';
    this.#queue = (async () => {
      const stored = await host.storage.get(channel);
      this.#cursor = given !== 'latest' && given !== 'earliest' ? given : (stored ?? null);
      this.ready = true;
      host.request(this);
    })().catch((error: unknown) => this.#fail('storage_error', error));
  }

  /** The `id` of the last event its handler finished with (or its start); null before it has one. */
  get cursor(): string | null {
    return this.#cursor;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops it; events already on their way are dropped. */
  unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.remove(this, true);
  }

  #then(step: () => unknown): void {
    this.#queue = this.#queue.then(() => (this.#closed ? undefined : step()));
  }

  async #advance(cursor: string | null): Promise<void> {
    this.#cursor = cursor;
    await this.host.storage.set(this.channel, cursor);
  }

  /** @internal an event of its channel */
  deliver(event: Event): void {
    this.#then(async () => {
      if (this.#cursor !== null && compareCursors(event.id, this.#cursor) <= 0) return;
      try {
        await this.onEvent(event);
      } catch (error) {
        // Its cursor stays before this event: a new subscription resumes with it.
        this.#fail('handler_error', error);
        return;
      }
      await this.#advance(event.id);
    });
  }

  /** @internal the server started it after `cursor` */
  started(cursor: string | null): void {
    this.#then(() => (this.#cursor === null && cursor !== null ? this.#advance(cursor) : undefined));
  }

  /** @internal `live` once caught up, `replaying` again after a reconnect */
  setState(state: SubscriptionState): void {
    this.#then(() => {
      if (this.#state === state) return;
      this.#state = state;
      this.options.onState?.(state);
    });
  }

  /** @internal its cursor is older than what is retained */
  expired(info: ExpiredInfo): void {
    this.#then(async () => {
      await this.options.onExpired?.(info);
      this.from = this.options.resume ?? 'latest';
      await this.#advance(null);
      this.#state = 'replaying';
      this.host.request(this);
    });
  }

  /**
   * @internal the server could not decode the stored entry `id` and went past it:
   * reported, and the cursor moves past it in turn (on the one-channel endpoint,
   * which ended at it, it then connects again from there).
   */
  skipped(id: string, error: ClientError): void {
    this.host.report({ ...error, message: `${error.message} (entry ${id} skipped)` });
    this.#then(async () => {
      if (this.#cursor === null || compareCursors(id, this.#cursor) > 0) await this.#advance(id);
      if (this.host.single) this.host.request(this);
    });
  }

  /** @internal the server refused it (`notify` false: it holds nothing), or its handler threw */
  fail(error: ClientError, notify = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.remove(this, notify);
    this.options.onError?.(error);
    this.host.report(error);
  }

  #fail(code: string, error: unknown): void {
    this.fail({ code, message: error instanceof Error ? error.message : String(error), channel: this.channel }, true);
  }
}
