/**
 * @module
 * A stream entry as Redis replies with it (`XRANGE`, `XREADGROUP`, a script's
 * `XRANGE`): its ID and a flat list of field / value pairs, read into a record.
 */

/** A stream entry as XRANGE returns it: [id, [field, value, field, value, …]]. */
export type RawEntry = [string, string[]];

/** An entry's flat field / value list as a record (a trailing odd field is left out). */
export function fieldsOf(raw: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i] as string] = raw[i + 1] as string;
  return fields;
}
