/**
 * @module
 * The order of events across channels, for the operator's timeline and the board's
 * audit trail alike. Cursors are `<ms>-<seq>` of each channel's stream, so across
 * channels they give the order the store took the events in, to the millisecond;
 * two channels' events of the same cursor have no order of their own, and go by
 * channel name, so every reader sorts them the same way. Browser-safe (core's
 * zod-free `@replayrail/core/cursor`): the page bundles it.
 */

import { compareCursors } from '@replayrail/core/cursor';

/** Where an event is: its channel, and its cursor in that channel's stream. */
export interface EventPlace {
  id: string;
  channel: string;
}

/** Oldest first: by cursor, then by channel name. */
export function compareByCursor(a: EventPlace, b: EventPlace): number {
  return compareCursors(a.id, b.id) || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0);
}
