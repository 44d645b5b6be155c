/**
 * @module
 * The scripts of keyed channels and age retention (the package README, "Channel
 * state"), whose append also keeps the lineage index (lineage-scripts.ts). A keyed channel's state is two keys in the stream's slot: a hash
 * `…:state` (key → `<entry ID>\n<the entry's field values joined by NUL>`) and a sorted
 * set `…:state-keys` (every score 0, so ZRANGEBYLEX pages the keys in byte order,
 * with no duplicate and no miss while keys come and go). The append changes them in
 * the same script as the XADD, so the state never disagrees with the stream.
 */

import { LINEAGE_FUNCTIONS } from './lineage-scripts.js';
import { script, TRIM_BY_AGE } from './scripts.js';

/**
 * KEYS: stream, idempotency record, state hash, state keys, then for an event with a
 * correlation its lineage index in the channel and (one server only) the
 * correlation's set of channels (lineage-scripts.ts). ARGV: maxlen ('' for
 * none), '1' for `~`, max age in ms ('' for none: else `XTRIM MINID` at the
 * server's time minus it), the wake channel to `SPUBLISH` the new ID on ('' for
 * none), the fingerprint ('' for a publish that is not idempotent), the record's
 * TTL in seconds ('' for none), created_at, the state key ('' for none), 'del' for
 * a tombstone, the state value (the field values joined by NUL), what follows the
 * ID in the index element (' <cause channel> <cause id>', or ''), the index's TTL in
 * ms ('' for none), the most index elements kept, the set's TTL in ms ('' for none),
 * the channel, then the entry's field/value pairs. Returns {'created', id} or
 * {'existing', record JSON}, as IDEMPOTENT_APPEND. An append of a channel with a
 * policy, or of an event with a correlation: one step for the record check, the
 * entry, both trims, the wake-up, the record, the state and the lineage index.
 */
export const POLICY_APPEND = script(`${LINEAGE_FUNCTIONS}${TRIM_BY_AGE}
if ARGV[5] ~= '' then
  local existing = redis.call('GET', KEYS[2])
  if existing then return {'existing', existing} end
end
local id
if ARGV[1] == '' then
  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 16))
elseif ARGV[2] == '1' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 16))
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', unpack(ARGV, 16))
end
if ARGV[3] ~= '' then trim_by_age(KEYS[1], ARGV[3], ARGV[2]) end
if ARGV[4] ~= '' then redis.call('SPUBLISH', ARGV[4], id) end
if ARGV[5] ~= '' then
  local record = cjson.encode({stream_key = KEYS[1], stream_id = id, fingerprint = ARGV[5], created_at = ARGV[7]})
  if ARGV[6] == '' then
    redis.call('SET', KEYS[2], record)
  else
    redis.call('SET', KEYS[2], record, 'EX', ARGV[6])
  end
end
if ARGV[8] ~= '' then
  -- The hash and the sorted set hold the same keys: the set changes only when a key comes or goes.
  if ARGV[9] == 'del' then
    if redis.call('HDEL', KEYS[3], ARGV[8]) == 1 then redis.call('ZREM', KEYS[4], ARGV[8]) end
  elseif redis.call('HSET', KEYS[3], ARGV[8], id .. '\\n' .. ARGV[10]) == 1 then
    redis.call('ZADD', KEYS[4], 0, ARGV[8])
  end
end
if #KEYS >= 5 then
  lineage_push(KEYS[5], 'e ' .. id .. ARGV[11], ARGV[12], ARGV[13])
  if #KEYS >= 6 then lineage_register(KEYS[6], ARGV[15], ARGV[14]) end
end
return {'created', id}
`);

/**
 * KEYS: stream, state hash, state keys. ARGV: the snapshot's cursor ('' on a first
 * page: the stream's last generated ID, read here, in the same step as the page),
 * the key to page after ('' for the first), the page size. Returns {cursor, keys,
 * values}: the keys in byte order and their hash values.
 */
export const STATE_PAGE = script(`
local at = ARGV[1]
if at == '' then
  at = '0-0'
  if redis.call('EXISTS', KEYS[1]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[1])
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then at = info[i + 1] end
    end
  end
end
local from = '-'
if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
local keys = redis.call('ZRANGEBYLEX', KEYS[3], from, '+', 'LIMIT', 0, tonumber(ARGV[3]))
local values = {}
if #keys > 0 then values = redis.call('HMGET', KEYS[2], unpack(keys)) end
return {at, keys, values}
`);

/**
 * KEYS: state hash, state keys. ARGV: triples of key, entry ID, value ('' for a
 * tombstone). Each applies only where the state holds an older entry for its key
 * (or none, for a value): a rebuild from history, safe beside appends. Returns how
 * many changed the state.
 */
export const STATE_APPLY = script(`
local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local changed = 0
for i = 1, #ARGV, 3 do
  local key, id, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('HGET', KEYS[1], key)
  local newer = true
  if current then newer = older(string.match(current, '^[^\\n]*'), id) end
  if value == '' then
    if current and newer then
      redis.call('HDEL', KEYS[1], key)
      redis.call('ZREM', KEYS[2], key)
      changed = changed + 1
    end
  elseif newer then
    redis.call('HSET', KEYS[1], key, id .. '\\n' .. value)
    if not current then redis.call('ZADD', KEYS[2], 0, key) end
    changed = changed + 1
  end
end
return changed
`);
