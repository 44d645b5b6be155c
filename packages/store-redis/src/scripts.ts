/**
 * @module
 * The store's server-side scripts. Each runs atomically on the node that holds
 * its keys: an idempotent publish (check the record, append, record), a plain
 * publish that also sends its pub/sub wake-up, a raw append with its wake-up, a
 * raw stream kept alive for a while, and a replay page read together with the
 * figures that decide expiry (the package README, "Expiry and lost history").
 * Written for Redis 6.2+; on servers before 7.0 the figures XINFO lacks come back
 * as -1 / '' and the store falls back to a conservative check.
 */

import { createHash } from 'node:crypto';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import { NO_STREAM, type StreamFigures } from '@replayrail/core/store';
import type { RedisConnection } from './connection.js';

/** A Lua script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Lua: trims `key` of entries older than `max_age` ms by the server's clock (`XTRIM
 * MINID`, with `~` when `approx` is '1'): retention by age, shared by the appends
 * that keep it (a channel's, a durable stream's).
 */
export const TRIM_BY_AGE = `
local function trim_by_age(key, max_age, approx)
  local now = redis.call('TIME')
  local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(max_age)
  if oldest <= 0 then return end
  local minid = string.format('%.0f', oldest) .. '-0'
  if approx == '1' then
    redis.call('XTRIM', key, 'MINID', '~', minid)
  else
    redis.call('XTRIM', key, 'MINID', minid)
  end
end
`;

/**
 * KEYS: stream, idempotency record. ARGV: maxlen ('' for none), '1' for `~`,
 * fingerprint, TTL seconds ('' for none), created_at, the wake channel to
 * `SPUBLISH` the new ID on ('' for none; Redis 7.0+, shard-wakeups.ts), then the
 * entry's field/value pairs. Returns {'created', id} or {'existing', record JSON}.
 * The record holds the Python library's three fields plus created_at, which
 * Python's reader ignores.
 */
export const IDEMPOTENT_APPEND = script(`
local existing = redis.call('GET', KEYS[2])
if existing then return {'existing', existing} end
local id
if ARGV[1] == '' then
  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 7))
elseif ARGV[2] == '1' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 7))
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', unpack(ARGV, 7))
end
if ARGV[6] ~= '' then redis.call('SPUBLISH', ARGV[6], id) end
local record = cjson.encode({stream_key = KEYS[1], stream_id = id, fingerprint = ARGV[3], created_at = ARGV[5]})
if ARGV[4] == '' then
  redis.call('SET', KEYS[2], record)
else
  redis.call('SET', KEYS[2], record, 'EX', ARGV[4])
end
return {'created', id}
`);

/**
 * KEYS: stream. ARGV: maxlen ('' for none), '1' for `~`, the wake channel to
 * `SPUBLISH` the new ID on (in the stream's slot), then the entry's field/value
 * pairs. Returns the new ID. A plain publish on Redis 7.0+ where readers wait by
 * sharded pub/sub (shard-wakeups.ts): the wake-up goes out in the same step as
 * the entry, so no reader can miss it between the two.
 */
export const APPEND_AND_WAKE = script(`
local id
if ARGV[1] == '' then
  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
elseif ARGV[2] == '1' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4))
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', unpack(ARGV, 4))
end
redis.call('SPUBLISH', ARGV[3], id)
return id
`);

/**
 * KEYS: stream. ARGV: '1' to append only to a stream that exists (NOMKSTREAM), the
 * maxlen to trim to approximately ('' for none), the wake channel to `SPUBLISH` the
 * new ID on, then the entry's field/value pairs as given. Returns the new ID, or
 * nil when the stream had to exist and did not. A raw entry (store.raw) where
 * readers wait by sharded pub/sub: entry and wake-up in one step.
 */
export const RAW_APPEND_AND_WAKE = script(`
local args = {'XADD', KEYS[1]}
if ARGV[1] == '1' then args[#args + 1] = 'NOMKSTREAM' end
if ARGV[2] ~= '' then
  args[#args + 1] = 'MAXLEN'
  args[#args + 1] = '~'
  args[#args + 1] = ARGV[2]
end
args[#args + 1] = '*'
for i = 4, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
if id then redis.call('SPUBLISH', ARGV[3], id) end
return id
`);

/**
 * KEYS: stream. ARGV: ttl in ms. Makes the stream exist (empty, when it did not: an
 * entry added and deleted) and expire in that time. Returns 1. A raw stream that
 * lives only while its owner keeps it (an RPC client's reply stream).
 */
export const KEEP_STREAM = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XADD', KEYS[1], '0-1', 'kept', '1')
  redis.call('XDEL', KEYS[1], '0-1')
end
return redis.call('PEXPIRE', KEYS[1], ARGV[1])
`);

/**
 * KEYS: stream. ARGV: the cursor whose presence to check ('' for none), the first ID
 * of the page (inclusive), the page size, the last ID it may hold (inclusive; '+'
 * for the end of the stream). Returns {0} when the stream does not
 * exist, else {1, length, entries-added, first entry ID, last-generated-id,
 * max-deleted-entry-id, cursor present (0/1), page}. Figures and page are read in
 * one atomic step, so no trim can slip between them.
 */
export const REPLAY_PAGE = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local f = {}
for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
local first = ''
if f['first-entry'] then first = f['first-entry'][1] end
local present = 0
if ARGV[1] ~= '' and #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) > 0 then present = 1 end
local page = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[4], 'COUNT', ARGV[3])
return {1, f['length'], f['entries-added'] or -1, first, f['last-generated-id'], f['max-deleted-entry-id'] or '', present, page}
`);

/** How often, and how far apart, a script refused with TRYAGAIN is sent again. */
const TRY_AGAIN = { attempts: 40, delayMs: 50 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a script by SHA, loading it with EVAL when the node does not have it yet. A
 * script whose keys a migrating slot holds on two nodes for the moment is refused
 * with TRYAGAIN, before it runs: it is sent again after a pause (ioredis does that
 * itself; node-redis does not), so a slot migration costs time, not a failed call.
 */
export async function runScript(
  connection: RedisConnection,
  { source, sha }: Script,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const route = keys[0];
  for (let attempt = 1; ; attempt++) {
    try {
      try {
        return await connection.send(['EVALSHA', sha, String(keys.length), ...keys, ...args], route);
      } catch (error) {
        if (!messageOf(error).includes('NOSCRIPT')) throw error;
        return await connection.send(['EVAL', source, String(keys.length), ...keys, ...args], route);
      }
    } catch (error) {
      if (!messageOf(error).startsWith('TRYAGAIN') || attempt >= TRY_AGAIN.attempts) throw error;
      await sleep(TRY_AGAIN.delayMs);
    }
  }
}

function messageOf(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/**
 * The expiry figures from a REPLAY_PAGE reply. Before Redis 7.0 there is no
 * entries-added nor max-deleted-entry-id: then entries are assumed removed (a cursor
 * before the first retained entry expires even if nothing was trimmed) and the
 * lost-history check, which needs the deletion figure, is skipped.
 */
export function figuresFromReply(reply: readonly unknown[], cursorPresent: boolean): StreamFigures {
  if (reply[0] !== 1) {
    return NO_STREAM;
  }
  const length = Number(reply[1]);
  const entriesAdded = Number(reply[2]);
  const modern = entriesAdded >= 0;
  return {
    exists: true,
    length,
    entriesAdded: modern ? entriesAdded : length + 1,
    firstId: reply[3] === '' ? null : String(reply[3]),
    lastGeneratedId: String(reply[4]),
    maxDeletedId: modern ? String(reply[5]) : ZERO_CURSOR,
    cursorPresent: modern ? cursorPresent : true,
  };
}
