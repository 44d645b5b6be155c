/**
 * @module
 * Every WebSocket close code a ReplayRail server sends, who sends it, and what a
 * client does about it (docs/protocol.md, "Close codes"). The servers reach them
 * through the error table (`WIRE_STATUS`), the browser client imports this file,
 * so the two cannot drift apart. Browser-safe and zod-free
 * (`@replayrail/core/close-codes`).
 *
 * 1000-1015 are RFC 6455's; 4000-4999 are left to applications, and ours mirror
 * the HTTP status of the same error (4400 ~ 400, 4410 ~ 410).
 */

export const CloseCode = {
  /** Closed on purpose by either side. Nothing to do. */
  Normal: 1000,
  /**
   * Reason `shutting_down` (or `store_closed`): the server is going away. The client
   * reconnects, to another instance or later, and resumes from its cursors.
   */
  GoingAway: 1001,
  /**
   * A client frame over `limits.maxFrameBytes`, refused before it was buffered (sent
   * by `ws`, or by the Hono adapter where the runtime was not told the limit). The
   * client has a bug: retrying the same frame cannot help.
   */
  MessageTooBig: 1009,
  /**
   * Reason `store_unavailable`, `store_error` or `internal_error`: the server failed
   * (its store, or its own code; the cause is logged there, never sent). The client
   * reconnects with backoff.
   */
  InternalError: 1011,
  /** Reason `too_many_connections`: the server is at `maxConnections`. The client reconnects with backoff. */
  TryAgainLater: 1013,
  /**
   * Sent by the browser client, reason `no traffic`: it heard nothing from the server
   * for too long (not even a pong) and gives this socket up; it reconnects and resumes
   * from its cursors. A server sees it as an ordinary close.
   */
  NoTraffic: 4001,
  /**
   * Reason `invalid_channel`, `invalid_cursor`, `invalid_request`, …: the request was
   * bad (a channel, a start position, a binary frame). Fix it; do not retry as is.
   */
  BadRequest: 4400,
  /** Reason `unauthenticated`: `authorize` found no valid credentials. Authenticate, then reconnect. */
  Unauthenticated: 4401,
  /** Reason `forbidden` or `origin_not_allowed`. Do not retry as is. */
  Forbidden: 4403,
  /**
   * Reason `slow_consumer`: the socket's send buffer passed `maxBufferedBytes`. The
   * client reconnects from its last cursor and loses nothing.
   */
  SlowConsumer: 4408,
  /**
   * Reason `replay_window_expired` or `stream_reset` (one-channel endpoint): events
   * after the cursor are gone. No event of the gap was sent. The client resyncs its
   * state, then reconnects without a cursor.
   */
  HistoryLost: 4410,
  /**
   * Reason `serialization_error <id>` (one-channel endpoint, whose frames are events
   * only): the stored entry `<id>` cannot be decoded. Every event before it was sent.
   * The client reports it and reconnects with `last_event_id=<id>` to go on past it.
   * (The multiplexed endpoint sends an `error` frame with the `id` instead.)
   */
  UndecodableEntry: 4422,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Codes after which reconnecting as is cannot help: the client stops until told to
 * reconnect. Ours, `MessageTooBig`, and RFC 6455's protocol errors (1002 protocol
 * error, 1003 unacceptable data, 1007 invalid UTF-8, 1008 policy violation).
 */
export const FATAL_CLOSE_CODES: readonly number[] = [
  1002,
  1003,
  1007,
  1008,
  CloseCode.MessageTooBig,
  CloseCode.BadRequest,
  CloseCode.Unauthenticated,
  CloseCode.Forbidden,
];

// RFC 6455 allows 123 bytes of reason; ours are ASCII codes and cursors.
const MAX_REASON_LENGTH = 123;

/** A close reason: the error code, then a detail when there is one (`serialization_error 17-0`). */
export function closeReason(code: string, detail?: string): string {
  return (detail === undefined ? code : `${code} ${detail}`).slice(0, MAX_REASON_LENGTH);
}

/** The entry ID a 4422 close names, from its reason; undefined for any other reason. */
export function undecodableEntryOf(reason: string): string | undefined {
  const match = /^serialization_error (\d+-\d+)$/.exec(reason);
  return match?.[1];
}
