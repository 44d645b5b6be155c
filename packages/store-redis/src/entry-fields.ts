/**
 * @module
 * A stream entry as Redis replies with it (`XRANGE`, `XREADGROUP`, a script's
 * `XRANGE`): its ID and a flat list of field / value pairs, read into a record.
 */

import { ENTRY_FIELDS } from '@replayrail/core/store';

/** A stream entry as XRANGE returns it: [id, [field, value, field, value, …]]. */
export type RawEntry = [string, string[]];

// Whether `raw` names the envelope's fields in the order they are written.
function inLayout(raw: readonly string[]): boolean {
  if (raw.length !== 2 * ENTRY_FIELDS.length) return false;
  for (let i = 0; i < ENTRY_FIELDS.length; i++) if (raw[2 * i] !== ENTRY_FIELDS[i]) return false;
  return true;
}

/** An entry's flat field / value list as a record (a trailing odd field is left out). */
export function fieldsOf(raw: readonly string[]): Record<string, string> {
  // An envelope as written: a record of one fixed shape, built at once (a replay
  // page reads thousands; adding keys one by one costs each a shape change).
  if (inLayout(raw)) {
    return {
      event_id: raw[1] as string,
      channel: raw[3] as string,
      type: raw[5] as string,
      payload: raw[7] as string,
      actor: raw[9] as string,
      metadata: raw[11] as string,
      created_at: raw[13] as string,
    };
  }
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i] as string] = raw[i + 1] as string;
  return fields;
}
