/**
 * @module
 * The shapes a client sees: events, states, errors.
 */

/** An event as the server sends it (docs/architecture.md, "The envelope and the Redis layout"); `id` is its cursor. */
export interface ClientEvent<Type extends string = string, Payload = Record<string, unknown>> {
  id: string;
  event_id: string;
  channel: string;
  type: Type;
  payload: Payload;
  actor: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  created_at: string;
  /**
   * True on an event of a keyed channel's snapshot (`from: 'snapshot'`): the latest
   * event of its key, handed over in key order; its `id` is no cursor to resume
   * from. Absent on every other event.
   */
  snapshot?: true;
}

/**
 * The events of an event map (`{ 'order.created': { order_id: string } }`) as a
 * union discriminated by `type`; any event without one.
 */
export type EventOf<Events> = [Events] extends [Record<string, unknown>]
  ? { [Type in keyof Events & string]: ClientEvent<Type, Events[Type]> }[keyof Events & string]
  : ClientEvent;

/** The connection: `connecting` at first, `open`, `reconnecting` after a drop, `closed` for good. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A subscription replays what it missed, then is `live`. */
export type SubscriptionState = 'replaying' | 'live';

/** What went wrong: the server's error code and, when it closed the socket, the close code. */
export interface ClientError {
  code: string;
  message: string;
  closeCode?: number;
  channel?: string;
}

/** Told when a channel's cursor is older than the server retains (`code` `replay_window_expired` or `stream_reset`). */
export interface ExpiredInfo {
  channel: string;
  code: string;
  message: string;
}
