/**
 * @module
 * How an event is printed: one line each, `<cursor> <created_at> <type> <payload>`
 * (plus the actor when there is one), or the whole envelope as one JSON line.
 */

import type { StoredEvent } from '@replayrail/core';
import { toWireJson } from '@replayrail/core/protocol';

export function eventLine(event: StoredEvent, json: boolean): string {
  // The wire form: the envelope's fields in one order, whatever object holds them.
  if (json) return toWireJson(event);
  const actor = event.actor === null ? '' : ` actor=${JSON.stringify(event.actor)}`;
  return `${event.id} ${event.created_at} ${event.type} ${JSON.stringify(event.payload)}${actor}`;
}

/** `n` things, the noun plural unless there is one: `1 key`, `2 keys`. */
export const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
