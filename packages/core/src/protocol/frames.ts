/**
 * @module
 * The frames of the ReplayRail WebSocket protocol, version 1 (docs/protocol.md).
 * An event travels as its bare envelope, the same text on every socket, so a frame
 * is built once per event however many sockets receive it. Control frames carry an
 * `op` field, which an envelope never has.
 */

import { InvalidRequestError } from '../errors.js';

/** The protocol version, also the WebSocket subprotocol `replayrail.v1`. */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_NAME = `replayrail.v${PROTOCOL_VERSION}`;

/** A frame from the client on the multiplexed endpoint. */
export type ClientFrame =
  | {
      op: 'subscribe';
      channel: string;
      /** Also accepted as `last_event_id`, the one-channel endpoint's name. */
      after?: string;
      /** `latest`, `earliest`, `snapshot` (a keyed channel's state first) or a cursor. */
      from?: string;
      since?: string;
      /** Refused (a subscription has no end), as on every transport. */
      until?: string;
    }
  | { op: 'unsubscribe'; channel: string }
  | { op: 'ping' };

// The start's names are those of every transport (start.ts); `until` is refused there, with its reason.
const SUBSCRIBE_KEYS = new Set(['op', 'channel', 'after', 'last_event_id', 'from', 'since', 'until']);

function invalid(message: string): never {
  throw new InvalidRequestError(message);
}

/**
 * Parses one client frame, or throws `InvalidRequestError` saying what is wrong.
 * Where a subscription starts is checked by `parseStart`, and the channel by
 * the rail, with the errors every transport gives.
 */
export function parseClientFrame(text: string): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid('frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('frame must be a JSON object');
  const frame = value as Record<string, unknown>;
  switch (frame.op) {
    case 'ping':
      return { op: 'ping' };
    case 'unsubscribe':
      if (typeof frame.channel !== 'string') invalid('unsubscribe needs a channel');
      return { op: 'unsubscribe', channel: frame.channel };
    case 'subscribe': {
      if (typeof frame.channel !== 'string') invalid('subscribe needs a channel');
      for (const key of Object.keys(frame))
        if (!SUBSCRIBE_KEYS.has(key)) invalid(`subscribe has an unknown field ${JSON.stringify(key)}`);
      const result: ClientFrame = { op: 'subscribe', channel: frame.channel };
      if (frame.after !== undefined && frame.last_event_id !== undefined) {
        invalid('pass after or last_event_id (the same field), not both');
      }
      const after = frame.after ?? frame.last_event_id;
      if (after !== undefined) {
        if (typeof after !== 'string') invalid('after must be a cursor string');
        result.after = after;
      }
      if (frame.until !== undefined) {
        if (typeof frame.until !== 'string') invalid('until must be a cursor or a time');
        result.until = frame.until;
      }
      // The values are checked by the one start parser (start.ts), as on every transport.
      if (frame.from !== undefined) {
        if (typeof frame.from !== 'string') invalid("from must be 'latest', 'earliest', 'snapshot' or a cursor");
        result.from = frame.from;
      }
      if (frame.since !== undefined) {
        if (typeof frame.since !== 'string') invalid('since must be an ISO 8601 time with a zone');
        result.since = frame.since;
      }
      return result;
    }
    default:
      invalid(`unknown op ${JSON.stringify(frame.op)}; expected subscribe, unsubscribe or ping`);
  }
}

/**
 * `{"op":"subscribed"}`: the subscription started after `cursor` (null for `since`).
 * From a snapshot, `"snapshot":true` follows and `cursor` is the one the snapshot is
 * exact at: the client resets its view of the channel, since the snapshot's events
 * come next and replace whatever it held.
 */
export function subscribedFrame(channel: string, cursor: string | null, snapshot = false): string {
  return JSON.stringify(
    snapshot ? { op: 'subscribed', channel, cursor, snapshot: true } : { op: 'subscribed', channel, cursor },
  );
}

/** `{"op":"live"}`: the subscription caught up; the events after this frame are live. */
export function liveFrame(channel: string): string {
  return JSON.stringify({ op: 'live', channel });
}

export function unsubscribedFrame(channel: string): string {
  return JSON.stringify({ op: 'unsubscribed', channel });
}

/** A subscription ended because its history is gone; the client resyncs, then subscribes again. */
export function expiredFrame(channel: string, code: string, message: string): string {
  return JSON.stringify({ op: 'expired', channel, code, message });
}

/** An error about one request or one channel; the socket stays open. */
export function errorFrame(code: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ op: 'error', code, message, ...extra });
}

export const PONG_FRAME = '{"op":"pong"}';
