/**
 * @module
 * The scripts of forks (redis-durable-forks.ts; docs/durable-streams.md, "Forks"). A
 * fork and its source hash to different slots, so no script sees both: each runs in
 * one stream's slot (the keys of durable-stream-scripts.ts), and the store calls them
 * in turn. In the fork's slot: claim the path, write copied pages, finish (or abort).
 * In the source's: check and count the fork in (with the first page), read the next
 * pages, and drop forks that are gone (collecting a tombstone left without any).
 */

import { DURABLE_SHARED } from './durable-stream-scripts.js';
import { script } from './scripts.js';

/**
 * Lua of the source's side: IDs compared as numbers (each part by length, then
 * digits: a part may pass 2^53), a message's length in bytes, and a page of messages
 * cut after `budget` bytes (always one at least).
 */
const SOURCE_SIDE = `${DURABLE_SHARED}
local function part_less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if am ~= bm then return part_less(am, bm) end
  return part_less(as, bs)
end
local function byte_length(fields)
  local data, base64 = '', false
  for i = 1, #fields, 2 do
    if fields[i] == 'd' then data = fields[i + 1] elseif fields[i] == 'b' then base64 = fields[i + 1] == '1' end
  end
  if not base64 then return #data end
  local padding = 0
  if string.sub(data, -2) == '==' then padding = 2 elseif string.sub(data, -1) == '=' then padding = 1 end
  return math.floor(#data / 4) * 3 - padding
end
local function within(entries, budget)
  local page, size = {}, 0
  for _, entry in ipairs(entries) do
    for i = 1, #entry[2], 2 do
      if entry[2][i] == 'd' then size = size + #entry[2][i + 1] end
    end
    if #page > 0 and size > tonumber(budget) then break end
    table.insert(page, entry)
  end
  return page
end
`;

/**
 * In the fork's slot. KEYS: the fork's five. ARGV: the fork's id, the claim's lease ms,
 * then what a fork that exists must match: source path, offset ('' any), sub-offset,
 * normalised content type ('' any), '1' when the request names its own expiry, ttl,
 * expiry ('' none), closed ('1' or ''). Returns {'exists' or 'conflict', info…};
 * {'deleted', info…, forks…} for a tombstone; {'busy'} while another fork is copied in
 * here; or {'claimed'}: the path is held (its info only `pending`, for the lease) and
 * found by nothing until the fork is finished.
 */
export const FORK_CLAIM = script(`${DURABLE_SHARED}
if exists() then
  local info = info_of()
  if deleted() then
    table.insert(info, 1, 'deleted')
    return with_forks(info)
  end
  local f = redis.call('HMGET', KEYS[2], 'src', 'fo', 'fso', 'nct', 'ttl', 'exp', 'ittl', 'iexp', 'closed')
  local ttl, exp = ARGV[8], ARGV[9]
  -- Naming no expiry asks for the source's, as it was when the fork was made.
  if ARGV[7] ~= '1' then ttl, exp = f[7] or '', f[8] or '' end
  local same = f[1] == ARGV[3] and (ARGV[4] == '' or f[2] == ARGV[4]) and f[3] == ARGV[5]
    and (ARGV[6] == '' or f[4] == ARGV[6]) and (f[5] or '') == ttl and (f[6] or '') == exp and (f[9] or '') == ARGV[10]
  table.insert(info, 1, same and 'exists' or 'conflict')
  return info
end
if redis.call('HEXISTS', KEYS[2], 'pending') == 1 then return {'busy'} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
redis.call('HSET', KEYS[2], 'pending', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {'claimed'}
`);

/**
 * In the source's slot. KEYS: the source's five. ARGV: the fork's path, the fork's id,
 * the offset ('' the tail), the sub-offset, the request's normalised content type (''
 * any), page size, page bytes, the most messages a fork copies. Checks, in order: it
 * exists, is not deleted, has the content type, the offset is not past its tail, the
 * sub-offset is not past what follows it; then counts the fork in (its forks hash) and
 * returns {'ok', its id, content type, ttl, exp, the offset, the last ID to copy,
 * '1' when it lost history (trimmed), its first message's ID, the partial message (the
 * entry a binary sub-offset cuts, else empty), the first page up to that last ID}; or
 * {refusal, detail}. Does not start a sliding TTL over: forking is not a read.
 */
export const FORK_TAKE = script(`${SOURCE_SIDE}
if not exists() then return {'source-not-found'} end
if deleted() then return {'source-deleted'} end
local s = redis.call('HMGET', KEYS[2], 'id', 'ct', 'nct', 'ttl', 'exp')
if ARGV[5] ~= '' and ARGV[5] ~= s[3] then return {'content-type-mismatch', s[2]} end
local tail = tail_of(KEYS[1])
local offset = ARGV[3]
if offset == '' then offset = tail end
if id_less(tail, offset) then return {'offset-beyond-tail', tail} end
local max = tonumber(ARGV[8])
local last = offset
local partial = {}
local sub = tonumber(ARGV[4])
if sub > 0 then
  if s[3] == 'application/json' then
    if sub > max then return {'too-many-messages'} end
    local next = redis.call('XRANGE', KEYS[1], '(' .. offset, '+', 'COUNT', sub)
    if #next < sub then return {'sub-offset-overshoot', #next} end
    last = next[sub][1]
  else
    local next = redis.call('XRANGE', KEYS[1], '(' .. offset, '+', 'COUNT', 1)[1]
    local length = 0
    if next then length = byte_length(next[2]) end
    if not next or length < sub then return {'sub-offset-overshoot', length} end
    if length == sub then last = next[1] else partial = next end
  end
end
local trimmed, first = '', ''
if redis.call('EXISTS', KEYS[1]) == 1 then
  local x = redis.call('XINFO', 'STREAM', KEYS[1])
  local f = {}
  for i = 1, #x, 2 do f[x[i]] = x[i + 1] end
  if f['first-entry'] then first = f['first-entry'][1] end
  -- At the tail, every message is copied: too many is known now.
  if last == tail and f['length'] > max then return {'too-many-messages'} end
  if tonumber(f['entries-added'] or f['length']) > f['length'] then trimmed = '1' end
end
redis.call('HSET', KEYS[5], ARGV[1], ARGV[2])
local pttl = redis.call('PTTL', KEYS[2])
if pttl > 0 then redis.call('PEXPIRE', KEYS[5], pttl) end
local page = within(redis.call('XRANGE', KEYS[1], '-', last, 'COUNT', ARGV[6]), ARGV[7])
return {'ok', s[1], s[2], s[4] or '', s[5] or '', offset, last, trimmed, first, partial, page}
`);

/**
 * In the source's slot. KEYS: the source's five. ARGV: the source's id, the last ID
 * copied, the last ID to copy, page size, page bytes. Returns {'ok', page} (what follows
 * the last copied, up to the last to copy), or why not: 'source-not-found' (gone, or
 * another incarnation), 'source-deleted', 'source-trimmed' (the last copied was trimmed:
 * what followed it may have been too).
 */
export const FORK_PAGE = script(`${SOURCE_SIDE}
if not exists() or redis.call('HGET', KEYS[2], 'id') ~= ARGV[1] then return {'source-not-found'} end
if deleted() then return {'source-deleted'} end
if #redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2]) == 0 then return {'source-trimmed'} end
return {'ok', within(redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], ARGV[3], 'COUNT', ARGV[4]), ARGV[5])}
`);

/**
 * In the fork's slot. KEYS: the fork's five. ARGV: the fork's id, the lease ms, then
 * each message as ID, data, '1' when base64. Adds them with their IDs while the claim
 * holds, and extends it. Returns 1, or 0 when the claim is lost (its lease ran out).
 */
export const FORK_WRITE = script(`
if redis.call('HGET', KEYS[2], 'pending') ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 3 do
  if ARGV[i + 2] == '1' then
    redis.call('XADD', KEYS[1], ARGV[i], 'd', ARGV[i + 1], 'b', '1')
  else
    redis.call('XADD', KEYS[1], ARGV[i], 'd', ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`);

/**
 * In the fork's slot. KEYS: the fork's five. ARGV: the fork's id (its incarnation id),
 * content type, normalised, ttl, exp, closed ('1' or ''), source path, source id,
 * offset, sub-offset, the source's ttl and exp (what a later create naming no expiry
 * inherits), the fork's last generated ID and entries added ('' both: as written;
 * else a tail past its last copy, or history lost before it), maxlen, '1' for \`~\`,
 * max age, then the first body's messages as data, '1' when base64. Returns
 * {'created', info…}, or {'lost'} when the claim is.
 */
export const FORK_FINISH = script(`${DURABLE_SHARED}
if redis.call('HGET', KEYS[2], 'pending') ~= ARGV[1] then return {'lost'} end
redis.call('HDEL', KEYS[2], 'pending')
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'ct', ARGV[2], 'nct', ARGV[3], 'ttl', ARGV[4], 'exp', ARGV[5],
  'closed', ARGV[6], 'src', ARGV[7], 'sid', ARGV[8], 'fo', ARGV[9], 'fso', ARGV[10], 'ittl', ARGV[11], 'iexp', ARGV[12])
if ARGV[13] ~= '' then
  -- An entry made and trimmed at once makes the stream exist, so that its figures can be set.
  if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('XADD', KEYS[1], 'MAXLEN', '0', ARGV[13], 'd', '') end
  local set = redis.pcall('XSETID', KEYS[1], ARGV[13], 'ENTRIESADDED', ARGV[14])
  -- Before Redis 7.0 no ENTRIESADDED: the tail alone.
  if type(set) == 'table' and set.err then redis.call('XSETID', KEYS[1], ARGV[13]) end
end
-- The claim's lease ends; the fork's own expiry, if any, is set below.
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
append_messages(18, ARGV[15], ARGV[16], ARGV[17])
local info = info_of()
expire_all()
table.insert(info, 1, 'created')
return info
`);

/** In the fork's slot. KEYS: the fork's five. ARGV: the fork's id. Drops what the claim wrote, if it still holds. */
export const FORK_ABORT = script(`
if redis.call('HGET', KEYS[2], 'pending') == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1
`);

/**
 * In a source's slot. KEYS: the source's five. ARGV: the source's id ('' any), the
 * signal's wake channel ('' none), then forks that are gone, each as path and id.
 * Drops each still counted with that id; a tombstone left without forks goes.
 * Returns {'collected', its own source's path, that source's id, its id} (a fork
 * itself: release that source next), or {'kept'}.
 */
export const FORK_DROP = script(`${DURABLE_SHARED}
if not exists() or (ARGV[1] ~= '' and redis.call('HGET', KEYS[2], 'id') ~= ARGV[1]) then return {'kept'} end
for i = 3, #ARGV, 2 do
  if redis.call('HGET', KEYS[5], ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', KEYS[5], ARGV[i]) end
end
if not deleted() or redis.call('HLEN', KEYS[5]) > 0 then return {'kept'} end
local f = redis.call('HMGET', KEYS[2], 'src', 'sid', 'id')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
signal(ARGV[2])
return {'collected', f[1] or '', f[2] or '', f[3] or ''}
`);
