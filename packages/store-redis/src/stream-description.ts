/**
 * @module
 * What `XINFO STREAM` and `XINFO GROUPS` say of a channel's stream, for operators
 * (the CLI's `info`): its length, ends, counters, retention figures and groups.
 */

import type { Cursor } from '@replayrail/core';

/** A channel's stream as Redis keeps it. Figures Redis does not have (before 7.0) are null. */
export interface StreamDescription {
  readonly key: string;
  readonly exists: boolean;
  readonly length: number;
  readonly firstId: Cursor | null;
  readonly lastId: Cursor | null;
  readonly lastGeneratedId: Cursor | null;
  readonly entriesAdded: number | null;
  readonly maxDeletedEntryId: Cursor | null;
  readonly recordedFirstEntryId: Cursor | null;
  /** The names of its consumer groups. */
  readonly groups: string[];
}

/** XINFO replies as objects: a flat name/value array (RESP2), a Map or an object (RESP3 clients). */
export function xinfoRecord(raw: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (Array.isArray(raw)) for (let i = 0; i + 1 < raw.length; i += 2) fields[String(raw[i])] = raw[i + 1];
  else if (raw instanceof Map) for (const [name, value] of raw) fields[String(name)] = value;
  else if (typeof raw === 'object' && raw !== null) Object.assign(fields, raw);
  return fields;
}

/** Whether a Redis error says the key does not exist (XINFO on a missing stream). */
export function isNoSuchKey(error: unknown): boolean {
  return /no such key/i.test(String((error as Error)?.message ?? error));
}

/** The ID of an entry as XINFO gives it: [id, fields] (or { id, message } from node-redis). */
export function entryId(entry: unknown): Cursor | null {
  if (Array.isArray(entry)) return String(entry[0]);
  if (typeof entry === 'object' && entry !== null && 'id' in entry) return String((entry as { id: unknown }).id);
  return null;
}

const numberOrNull = (value: unknown): number | null => (value === undefined || value === null ? null : Number(value));
const stringOrNull = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

/** Describes the stream at `key`, sending commands through `command`. */
export async function describeStream(
  key: string,
  command: (args: string[], operation: string) => Promise<unknown>,
): Promise<StreamDescription> {
  let stream: Record<string, unknown>;
  try {
    stream = xinfoRecord(await command(['XINFO', 'STREAM', key], 'XINFO STREAM'));
  } catch (error) {
    if (!isNoSuchKey(error)) throw error;
    return {
      key,
      exists: false,
      length: 0,
      firstId: null,
      lastId: null,
      lastGeneratedId: null,
      entriesAdded: null,
      maxDeletedEntryId: null,
      recordedFirstEntryId: null,
      groups: [],
    };
  }
  const groups = (await command(['XINFO', 'GROUPS', key], 'XINFO GROUPS')) as unknown[];
  return {
    key,
    exists: true,
    length: Number(stream.length ?? 0),
    firstId: entryId(stream['first-entry']),
    lastId: entryId(stream['last-entry']),
    lastGeneratedId: stringOrNull(stream['last-generated-id']),
    entriesAdded: numberOrNull(stream['entries-added']),
    maxDeletedEntryId: stringOrNull(stream['max-deleted-entry-id']),
    recordedFirstEntryId: stringOrNull(stream['recorded-first-entry-id']),
    groups: groups.map((group) => String(xinfoRecord(group).name)),
  };
}
