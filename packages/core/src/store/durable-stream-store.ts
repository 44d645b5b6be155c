/**
 * @module
 * `DurableStreamStore`: what a store keeps for `@replayrail/durable-streams`, the
 * Durable Streams HTTP protocol on ReplayRail (docs/durable-streams.md). A durable
 * stream is a stream of messages (an append's body, or each value of a JSON-mode
 * append) with its configuration beside it: content type, TTL or expiry, whether it
 * is closed, its writers' sequences and its idempotent producers' epochs. Every
 * check of an append (closed, content type, `Stream-Seq`, the producer's epoch and
 * sequence) is made in the same atomic step as the append itself (a script on
 * Redis), so no two servers can both accept a producer's sequence. A fork is a stream
 * made with copies of another's messages, with their IDs (docs/durable-streams.md,
 * "Forks").
 */

import type { Cursor } from '../types.js';

/** Which durable stream: its path (as the server names it) under a key prefix. */
export interface DurableStreamRef {
  readonly prefix: string;
  /** The stream's path, 1 to 1024 characters, without NUL. */
  readonly path: string;
}

/** What a stream is created with, and what a second create must match. */
export interface DurableStreamConfig {
  /** The content type as given (`application/json; charset=utf-8`); compared normalised. */
  readonly contentType: string;
  /** A sliding time to live in seconds (reset by every read and append), or null. */
  readonly ttlSeconds: number | null;
  /** An absolute expiry, epoch ms, or null. */
  readonly expiresAt: number | null;
}

/** A stream as the store holds it. */
export interface DurableStreamInfo extends DurableStreamConfig {
  /** Unique to this incarnation of the path (a stream deleted and created again has another): ETags name it. */
  readonly id: string;
  readonly closed: boolean;
  /** The ID of its last message, `0-0` when it has none. */
  readonly tail: Cursor;
}

/** One message: its bytes, as text when they are valid UTF-8 of a text stream, else base64. */
export interface DurableMessage {
  readonly data: string;
  /** `data` is base64 of the bytes (a binary stream, or text that is not UTF-8). */
  readonly base64: boolean;
}

/** A message as stored, with its ID. */
export interface StoredDurableMessage extends DurableMessage {
  readonly id: Cursor;
}

/** An idempotent producer's claim on an append (`Producer-Id`, `-Epoch`, `-Seq`). */
export interface ProducerClaim {
  readonly id: string;
  readonly epoch: number;
  readonly seq: number;
}

/** How much of a stream's history the server keeps: trimmed on append, as channels are. */
export interface DurableRetention {
  /** Messages kept (trimmed approximately, `MAXLEN ~`); null keeps all. */
  readonly maxLength: number | null;
  /** Messages older than this many ms (by their ID's time) are trimmed; null keeps all. */
  readonly maxAgeMs: number | null;
}

/** A create (`PUT`). */
export interface DurableCreate {
  readonly retention: DurableRetention;
  readonly config: DurableStreamConfig;
  /** Created closed (`Stream-Closed: true`). */
  readonly closed: boolean;
  /** Its first messages (a body), possibly none. */
  readonly messages: readonly DurableMessage[];
}

/** What a create did. */
export type DurableCreateResult =
  | { readonly kind: 'created'; readonly info: DurableStreamInfo }
  /** It existed with the same configuration and closure: nothing written. */
  | { readonly kind: 'exists'; readonly info: DurableStreamInfo }
  /** It exists with another configuration or closure, or is a fork (a create is not; a fork's create must match it). */
  | { readonly kind: 'conflict'; readonly info: DurableStreamInfo }
  /**
   * It was deleted while it had forks and is kept as a tombstone until they are gone
   * (the protocol's soft delete): its path cannot be used again until then.
   */
  | { readonly kind: 'deleted'; readonly info: DurableStreamInfo };

/**
 * A fork's create (`PUT` with `Stream-Forked-From`, PROTOCOL.md section 4.2): a new
 * stream whose first messages are copies of the source's, with the source's IDs, up to
 * `offset`; its own messages follow. Nothing of the source's producers, `Stream-Seq` or
 * closure is inherited.
 */
export interface DurableFork {
  readonly retention: DurableRetention;
  /** The source's path, under the fork's prefix. */
  readonly source: string;
  /** The last source ID inherited; null: the source's tail as the fork is made. */
  readonly offset: Cursor | null;
  /**
   * How far past `offset` the fork reaches (0 none): in JSON mode the next `subOffset`
   * messages; otherwise the first `subOffset` bytes of the next message, which becomes a
   * message of the fork (with that message's ID).
   */
  readonly subOffset: number;
  /** Must match the source's (normalised); null inherits it. */
  readonly contentType: string | null;
  /** The fork's own TTL or expiry; both null inherit the source's (no capping either way). */
  readonly ttlSeconds: number | null;
  readonly expiresAt: number | null;
  /** Created closed (`Stream-Closed: true`). A closed source's fork starts open unless asked. */
  readonly closed: boolean;
  /** The fork's first own messages (a body), after the inherited ones. */
  readonly messages: readonly DurableMessage[];
  /** The most messages a fork may copy: a longer inheritance is refused (`too-many-messages`). */
  readonly maxMessages: number;
}

/** What a fork's create did: a create's answers (for the fork's path), or why the source refused. */
export type DurableForkResult =
  | DurableCreateResult
  /** No such source (or it expired). */
  | { readonly kind: 'source-not-found' }
  /** The source was deleted while it had forks: no new fork of it. */
  | { readonly kind: 'source-deleted' }
  | { readonly kind: 'content-type-mismatch'; readonly sourceContentType: string }
  /** `offset` is past the source's tail. */
  | { readonly kind: 'offset-beyond-tail'; readonly tail: Cursor }
  /** Fewer bytes (or JSON messages) than `subOffset` follow `offset`: `available` do. */
  | { readonly kind: 'sub-offset-overshoot'; readonly available: number }
  /** More than `maxMessages` would be copied. */
  | { readonly kind: 'too-many-messages'; readonly limit: number }
  /** Retention trimmed the source while the fork was copying it: nothing was made, a retry forks what is left. */
  | { readonly kind: 'source-trimmed' };

/** An append (`POST`): messages, a close, or both. */
export interface DurableAppend {
  readonly retention: DurableRetention;
  /** The messages to append, in order; none for a close-only append. */
  readonly messages: readonly DurableMessage[];
  /**
   * The request's content type (normalised), checked against the stream's when there are
   * messages; null: not checked.
   */
  readonly contentType: string | null;
  /** Close the stream in the same step (`Stream-Closed: true`). */
  readonly close: boolean;
  /** `Stream-Seq`: must be greater than the last one, compared byte-wise. */
  readonly streamSeq: string | null;
  readonly producer: ProducerClaim | null;
}

/** What an append did. Every kind but `appended` wrote nothing. */
export type DurableAppendResult =
  /** Stored (and closed, when asked); `tail` is the new tail. */
  | { readonly kind: 'appended'; readonly info: DurableStreamInfo }
  /** The producer's sequence was accepted before: a retry, nothing written. */
  | { readonly kind: 'duplicate'; readonly info: DurableStreamInfo; readonly lastSeq: number }
  /**
   * The stream is closed (and this is not the producer's closing append again); also a
   * close-only append to a stream already closed, which the protocol answers 204.
   */
  | { readonly kind: 'closed'; readonly info: DurableStreamInfo }
  | { readonly kind: 'content-type-mismatch'; readonly info: DurableStreamInfo }
  /** `Stream-Seq` not greater than the last one. */
  | { readonly kind: 'stream-seq-regression'; readonly info: DurableStreamInfo; readonly last: string }
  /** An epoch older than the producer's: fenced off. */
  | { readonly kind: 'stale-epoch'; readonly info: DurableStreamInfo; readonly epoch: number }
  /** A new epoch must start at sequence 0. */
  | { readonly kind: 'epoch-seq'; readonly info: DurableStreamInfo }
  | {
      readonly kind: 'sequence-gap';
      readonly info: DurableStreamInfo;
      readonly expected: number;
      readonly received: number;
    }
  | { readonly kind: 'not-found' };

/** A page of messages after a position. */
export interface DurableReadQuery {
  /** Messages with a greater ID; `0-0` for all. */
  readonly after: Cursor;
  /** Most messages in the page. */
  readonly limit: number;
  /**
   * Wait up to this long for the first message when there is none (a live read); 0
   * returns at once, and so does a read at the end of a closed stream: nothing can come.
   */
  readonly blockMs: number;
  readonly signal?: AbortSignal;
}

/** A page and the stream as it was when the page was read (atomically with it). */
export interface DurableReadResult {
  readonly messages: readonly StoredDurableMessage[];
  readonly info: DurableStreamInfo;
}

/**
 * The durable streams of a store. Reads throw `ReplayWindowExpiredError` when a
 * message after `after` is no longer retained (the protocol's `410 Gone`), decided
 * with the page, as event replays are. A stream deleted while it had forks (a
 * tombstone) is gone for itself: `read`, `info`, `append` and `delete` throw
 * `ReplayWindowExpiredError` (410), `create` answers `deleted` (409).
 */
export interface DurableStreamStore {
  create(ref: DurableStreamRef, request: DurableCreate): Promise<DurableCreateResult>;
  append(ref: DurableStreamRef, request: DurableAppend): Promise<DurableAppendResult>;
  /** A page after a position, or null when the stream does not exist (or expired). Resets a sliding TTL. */
  read(ref: DurableStreamRef, query: DurableReadQuery): Promise<DurableReadResult | null>;
  /** The stream's information, or null. Does not reset a sliding TTL (`HEAD`). */
  info(ref: DurableStreamRef): Promise<DurableStreamInfo | null>;
  /**
   * Deletes it; resolves to whether it existed. A stream with live forks is only marked
   * deleted (a tombstone, its messages dropped) until its last fork goes; deleting a
   * fork releases its source, collecting a tombstone left without forks, up the chain.
   */
  delete(ref: DurableStreamRef): Promise<boolean>;
  /** Creates `ref` as a fork of `request.source` (docs/durable-streams.md, "Forks"). */
  fork(ref: DurableStreamRef, request: DurableFork): Promise<DurableForkResult>;
}
