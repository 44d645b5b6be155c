/**
 * @module
 * The scripts of durable streams (redis-durable-streams.ts; docs/durable-streams.md).
 * A stream is five keys in one slot: its messages (a stream of `d` = the data, `b` =
 * '1' when it is base64), its info (a hash: `id`, `ct` the content type as given,
 * `nct` normalised, `ttl` seconds, `exp` epoch ms, `closed`, `sseq` the last
 * Stream-Seq, `cb` the producer claim that closed it; `del` once deleted while it has
 * forks; on a fork `src`, `sid`, `fo`, `fso`, `ittl`, `iexp`, its source and what its
 * create asked; `pending` alone while a fork is being copied in), its producers (a
 * hash: producer id → `<epoch>:<last seq>`), its signal (a stream of one entry, added
 * to when it is closed or deleted, so a read waiting for messages wakes for that too)
 * and its forks (a hash: fork path → the fork's id). Every check of an append is made
 * in the script that appends, so no two servers accept the same claim. The scripts of
 * forks are in durable-fork-scripts.ts.
 */

import { script, TRIM_BY_AGE } from './scripts.js';

/**
 * Lua the scripts share: whether the stream exists (a fork still being copied does
 * not) and was deleted (a tombstone kept for its forks), the info as a reply (id,
 * content type, ttl, exp, closed, tail), the expiry of the keys (a sliding TTL
 * renewed, an absolute one set), a reply with the stream's forks, and an append of
 * messages from ARGV with both trims.
 */
export const DURABLE_SHARED = `${TRIM_BY_AGE}
local function exists()
  return redis.call('HEXISTS', KEYS[2], 'id') == 1
end
local function deleted()
  return redis.call('HGET', KEYS[2], 'del') == '1'
end
-- {kind, …, then each fork's path and id}: what the store checks before a tombstone answers.
local function with_forks(reply)
  for _, v in ipairs(redis.call('HGETALL', KEYS[5])) do table.insert(reply, v) end
  return reply
end
local function tail_of(key)
  if redis.call('EXISTS', key) == 0 then return '0-0' end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return info[i + 1] end
  end
  return '0-0'
end
local function info_of()
  local f = redis.call('HMGET', KEYS[2], 'id', 'ct', 'ttl', 'exp', 'closed')
  return {f[1] or '', f[2] or '', f[3] or '', f[4] or '', f[5] or '', tail_of(KEYS[1])}
end
local function expire_all()
  local f = redis.call('HMGET', KEYS[2], 'ttl', 'exp')
  for _, i in ipairs({1, 2, 3, 5}) do
    if f[1] and f[1] ~= '' then
      redis.call('PEXPIRE', KEYS[i], tonumber(f[1]) * 1000)
    elseif f[2] and f[2] ~= '' then
      redis.call('PEXPIREAT', KEYS[i], f[2])
    end
  end
end
-- Wakes the reads waiting on the stream for something that is not a message.
local function signal(wake)
  redis.call('XADD', KEYS[4], 'MAXLEN', '1', '*', 's', '1')
  redis.call('PEXPIRE', KEYS[4], 60000)
  if wake ~= '' then redis.call('SPUBLISH', wake, '1') end
end
local function append_messages(first, maxlen, approx, max_age)
  local id
  for i = first, #ARGV, 2 do
    local fields = {'d', ARGV[i]}
    if ARGV[i + 1] == '1' then fields = {'d', ARGV[i], 'b', '1'} end
    if maxlen == '' then
      id = redis.call('XADD', KEYS[1], '*', unpack(fields))
    elseif approx == '1' then
      id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', unpack(fields))
    else
      id = redis.call('XADD', KEYS[1], 'MAXLEN', maxlen, '*', unpack(fields))
    end
  end
  if id and max_age ~= '' then trim_by_age(KEYS[1], max_age, approx) end
  return id
end
`;

/**
 * KEYS: messages, info, producers, signal, forks. ARGV: the new incarnation's id,
 * content type, normalised content type, ttl seconds ('' none), expiry epoch ms (''
 * none), '1' to create it closed, maxlen ('' none), '1' for \`~\`, max age ms (''
 * none), then each message as data, '1' when base64. Returns {kind, info…} where kind
 * is 'created', 'exists' (same configuration and closure, and not a fork) or
 * 'conflict'; {'deleted', info…, forks…} for a tombstone; {'busy'} while a fork is
 * being copied in at this path.
 */
export const DURABLE_CREATE = script(`${DURABLE_SHARED}
if exists() then
  local info = info_of()
  if deleted() then
    table.insert(info, 1, 'deleted')
    return with_forks(info)
  end
  local f = redis.call('HMGET', KEYS[2], 'nct', 'ttl', 'exp', 'closed', 'src')
  local same = (f[1] or '') == ARGV[3] and (f[2] or '') == ARGV[4] and (f[3] or '') == ARGV[5] and (f[4] or '') == ARGV[6] and not f[5]
  table.insert(info, 1, same and 'exists' or 'conflict')
  return info
end
if redis.call('HEXISTS', KEYS[2], 'pending') == 1 then return {'busy'} end
-- Whatever an earlier incarnation or an abandoned fork left (the signal stays: readers may wait on it).
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'ct', ARGV[2], 'nct', ARGV[3], 'ttl', ARGV[4], 'exp', ARGV[5], 'closed', ARGV[6])
append_messages(10, ARGV[7], ARGV[8], ARGV[9])
-- Taken before the expiry is set: an expiry already past removes the stream at once.
local info = info_of()
expire_all()
table.insert(info, 1, 'created')
return info
`);

/**
 * KEYS: messages, info, producers, signal, forks. ARGV: the request's normalised content type ('' when
 * it carries no message), '1' to close, the Stream-Seq ('' none), the producer id (''
 * none), its epoch, its sequence, maxlen ('' none), '1' for \`~\`, max age ms ('' none),
 * the wake channels of the messages and of the signal to \`SPUBLISH\` on ('' none), then
 * each message as data, '1' when base64. A sliding TTL starts over whenever the stream is
 * found, whatever the answer. Returns {kind, info…, extra…}: 'not-found'; 'gone' (a tombstone); 'closed'; 'duplicate' (last
 * seq); 'content-type-mismatch'; 'stale-epoch' (current epoch); 'epoch-seq';
 * 'sequence-gap' (expected, received); 'stream-seq-regression' (last); or 'appended'.
 * In the order of the protocol's precedence (closed, content type, producer, Stream-Seq).
 */
export const DURABLE_APPEND = script(`${DURABLE_SHARED}
local function answer(kind, ...)
  local info = info_of()
  table.insert(info, 1, kind)
  for _, v in ipairs({...}) do table.insert(info, v) end
  return info
end
-- Byte-wise comparison, whatever the server's collation.
local function less_or_equal(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end
if not exists() then return {'not-found'} end
if deleted() then return {'gone'} end
expire_all()
local producer = ARGV[4]
local epoch = tonumber(ARGV[5])
local seq = tonumber(ARGV[6])
local claim = producer .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6]
local closed = redis.call('HGET', KEYS[2], 'closed') == '1'
local has_messages = #ARGV >= 12
if closed then
  if producer ~= '' and redis.call('HGET', KEYS[2], 'cb') == claim then return answer('duplicate', ARGV[6]) end
  return answer('closed')
end
if has_messages and ARGV[1] ~= redis.call('HGET', KEYS[2], 'nct') then return answer('content-type-mismatch') end
if producer ~= '' then
  local state = redis.call('HGET', KEYS[3], producer)
  if not state then
    if seq ~= 0 then return answer('sequence-gap', '0', ARGV[6]) end
  else
    local colon = string.find(state, ':', 1, true)
    local known = tonumber(string.sub(state, 1, colon - 1))
    local last = tonumber(string.sub(state, colon + 1))
    if epoch < known then return answer('stale-epoch', string.format('%.0f', known)) end
    if epoch > known then
      if seq ~= 0 then return answer('epoch-seq') end
    elseif seq <= last then
      return answer('duplicate', string.format('%.0f', last))
    elseif seq ~= last + 1 then
      return answer('sequence-gap', string.format('%.0f', last + 1), ARGV[6])
    end
  end
end
if ARGV[3] ~= '' then
  local last = redis.call('HGET', KEYS[2], 'sseq')
  if last and less_or_equal(ARGV[3], last) then return answer('stream-seq-regression', last) end
end
local id = append_messages(12, ARGV[7], ARGV[8], ARGV[9])
if producer ~= '' then redis.call('HSET', KEYS[3], producer, ARGV[5] .. ':' .. ARGV[6]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'sseq', ARGV[3]) end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'closed', '1')
  if producer ~= '' then redis.call('HSET', KEYS[2], 'cb', claim) end
  signal(ARGV[11])
end
expire_all()
if id and ARGV[10] ~= '' then redis.call('SPUBLISH', ARGV[10], id) end
return answer('appended')
`);

/**
 * KEYS: messages, info, producers, signal, forks. ARGV: the position to read after (\`0-0\` for
 * the start), its first ID (inclusive), the page size, '1' to renew a sliding TTL.
 * Returns {0, signal's last ID} when the stream does not exist, {2} for a tombstone, else {1, info…,
 * figures…, page, signal's last ID}: the figures of REPLAY_PAGE (length, entries-added,
 * first entry ID, last-generated-id, max-deleted-entry-id, position present), read with
 * the page in one step.
 */
export const DURABLE_READ = script(`${DURABLE_SHARED}
if not exists() then return {0, tail_of(KEYS[4])} end
if deleted() then return {2} end
if ARGV[4] == '1' then expire_all() end
local info = info_of()
local figures = {-1, -1, '', '', '', 0}
local page = {}
if redis.call('EXISTS', KEYS[1]) == 1 then
  local x = redis.call('XINFO', 'STREAM', KEYS[1])
  local f = {}
  for i = 1, #x, 2 do f[x[i]] = x[i + 1] end
  local first = ''
  if f['first-entry'] then first = f['first-entry'][1] end
  local present = 0
  if ARGV[1] ~= '0-0' and #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) > 0 then present = 1 end
  figures = {f['length'], f['entries-added'] or -1, first, f['last-generated-id'], f['max-deleted-entry-id'] or '', present}
  page = redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', ARGV[3])
end
local reply = {1}
for _, v in ipairs(info) do table.insert(reply, v) end
for _, v in ipairs(figures) do table.insert(reply, v) end
table.insert(reply, page)
table.insert(reply, tail_of(KEYS[4]))
return reply
`);

/**
 * KEYS: messages, info, producers, signal, forks. ARGV: the signal's wake channel (''
 * none), '1' once the forks it answered with were looked at. Returns {'absent'};
 * {'gone', forks…} for a tombstone; {'forks', forks…} when it has forks not yet
 * looked at (those that no longer exist are released before it is asked again);
 * {'soft'} when, asked again, it still has forks: it becomes a tombstone (its messages
 * and producers dropped, its info and forks kept); else {'deleted', its source's
 * path, the source's id, its own id} (a fork releases its source next).
 */
export const DURABLE_DELETE = script(`${DURABLE_SHARED}
if not exists() then return {'absent'} end
if deleted() then return with_forks({'gone'}) end
if redis.call('HLEN', KEYS[5]) > 0 then
  if ARGV[2] ~= '1' then return with_forks({'forks'}) end
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('HSET', KEYS[2], 'del', '1')
  signal(ARGV[1])
  return {'soft'}
end
local f = redis.call('HMGET', KEYS[2], 'src', 'sid', 'id')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
signal(ARGV[1])
return {'deleted', f[1] or '', f[2] or '', f[3] or ''}
`);
