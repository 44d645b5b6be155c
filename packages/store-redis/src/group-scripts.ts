/**
 * @module
 * The consumer-group scripts (redis-groups.ts). Each runs atomically on the node
 * that holds a channel's keys: the channel's stream, and the group's dead-letter
 * and redrive streams, which share its slot. Written for Redis 6.2+ (XAUTOCLAIM);
 * what needs 7.0 (a group's entries-read, XAUTOCLAIM's deleted IDs) degrades as
 * the README says: trimmed entries are then not reported.
 */

import { script } from './scripts.js';

// The entry before `id` (`<ms>-<seq>`), for XGROUP SETID. Sequences past 2^53 are
// only ever written by hand; they are decremented as text.
const PREVIOUS_ID = `
local function previous_id(id)
  local dash = string.find(id, '-', 1, true)
  local ms = string.sub(id, 1, dash - 1)
  local seq = string.sub(id, dash + 1)
  if seq == '0' then
    return string.format('%.0f', tonumber(ms) - 1) .. '-18446744073709551615'
  end
  local digits = {}
  for i = 1, #seq do digits[i] = string.byte(seq, i) - 48 end
  local i = #digits
  while digits[i] == 0 do digits[i] = 9; i = i - 1 end
  digits[i] = digits[i] - 1
  local out = table.concat(digits):gsub('^0+', '')
  if out == '' then out = '0' end
  return ms .. '-' .. out
end
`;

// A group's fields from XINFO GROUPS, or nil.
const FIND_GROUP = `
local function find_group(key, name)
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', key)
  if not ok then return nil end
  for _, group in ipairs(groups) do
    local f = {}
    for i = 1, #group, 2 do f[group[i]] = group[i + 1] end
    if f['name'] == name then return f end
  end
  return nil
end
`;

/**
 * KEYS: stream, redrive. ARGV: group, start ID. Creates the group on both
 * (MKSTREAM), unless it exists; on Redis 7.0+ it counts as read every entry up to
 * the start, trimmed ones included (they were never the group's to miss). Returns
 * 1 when created, 0 when it existed.
 */
export const CREATE_GROUP = script(`
local read = nil
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local s = {}
  for i = 1, #info, 2 do s[info[i]] = info[i + 1] end
  if s['entries-added'] then
    local after = s['length']
    if ARGV[2] == '$' then after = 0
    elseif ARGV[2] ~= '0-0' and ARGV[2] ~= '0' then after = #redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], '+') end
    read = s['entries-added'] - after
  end
else
  read = 0
end
local ok, err
if read ~= nil then
  ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM', 'ENTRIESREAD', read)
else
  ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
end
if not ok and string.find(tostring(err), 'BUSYGROUP') then return 0 end
if not ok then return redis.error_reply(tostring(err)) end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
return 1
`);

// The group's last delivered ID, after moving it past entries trimmed before it read
// them (Redis 7.0+: entries-added − entries-read − length of the unread retained
// part), in \`last\`; in \`lost\`, {1, last delivered before, first retained, count}
// when it did, else {0, '', '', -1}. Returns an error reply for a missing group.
const LOSS_CHECK = `
${PREVIOUS_ID}
${FIND_GROUP}
local group = find_group(KEYS[1], ARGV[1])
if not group then return redis.error_reply('NOGROUP no such consumer group ' .. ARGV[1]) end
local last = group['last-delivered-id']
local lost = {0, '', '', -1}
local read = group['entries-read']
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local s = {}
for i = 1, #info, 2 do s[info[i]] = info[i + 1] end
local added = s['entries-added']
if type(read) == 'number' and added then
  local first = s['first-entry']
  local first_id = first and first[1] or nil
  local first_after = first_id and redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)[1]
  -- Trimming removes the oldest entries: loss shows as every retained entry being unread.
  if first_id == nil or (first_after and first_after[1] == first_id) then
    local missing = added - read - s['length']
    if missing > 0 then
      lost = {1, last, first_id or '', missing}
      if first_id then
        last = previous_id(first_id)
        redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', added - s['length'])
      else
        last = s['last-generated-id']
        redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', added)
      end
    end
  end
end
`;

/**
 * KEYS: stream, redrive. ARGV: group, consumer, count. First moves the group past
 * entries trimmed before it read them (LOSS_CHECK), then reads new entries: the
 * redrive stream's, then the channel's. Returns {lost (0/1), lost after, lost before
 * ('' for none), lost count, redrive entries, stream entries, last delivered ID}.
 * The common read does without it (READ_CHECK, redis-groups.ts): a script's reply
 * of a hundred entries costs Redis three times the plain XREADGROUP's.
 */
export const READ_GROUP = script(`
${LOSS_CHECK}
local count = tonumber(ARGV[3])
local redriven = {}
local ok, reply = pcall(redis.call, 'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[2], '>')
if ok and reply then redriven = reply[1][2] end
local fresh = {}
if #redriven < count then
  reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count - #redriven, 'STREAMS', KEYS[1], '>')
  if reply then fresh = reply[1][2] end
end
group = find_group(KEYS[1], ARGV[1])
return {lost[1], lost[2], lost[3], lost[4], redriven, fresh, group['last-delivered-id']}
`);

/**
 * KEYS: stream. ARGV: group. LOSS_CHECK alone. Returns {lost (0/1), lost after,
 * lost before, lost count, last delivered ID}. Sent at the head of a transaction
 * whose XREADGROUPs read the redrive stream and the channel (redis-groups.ts): one
 * atomic step, as READ_GROUP, whose entries Redis need not pass through Lua.
 */
export const READ_CHECK = script(`
${LOSS_CHECK}
return {lost[1], lost[2], lost[3], lost[4], last}
`);

/**
 * KEYS: the entry's source stream, the group's failures hash. ARGV: group, consumer,
 * deliveries ('' to leave the count), the failure's field ('' for none), its
 * recorded text, then IDs. Resets the idle time of each entry the consumer still
 * holds; with a count, sets it and records the failure, keeping the time of the
 * first one already recorded. Returns the IDs it no longer holds.
 */
export const TOUCH = script(`
local gone = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if pending[1] and pending[1][2] == ARGV[2] then
    if ARGV[3] == '' then
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
    else
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'RETRYCOUNT', ARGV[3], 'JUSTID')
      local failure = cjson.decode(ARGV[5])
      local before = redis.call('HGET', KEYS[2], ARGV[4])
      if before then failure[3] = cjson.decode(before)[3] end
      redis.call('HSET', KEYS[2], ARGV[4], cjson.encode(failure))
    end
  else
    table.insert(gone, id)
  end
end
return gone
`);

/**
 * KEYS: the entries' source stream, the group's failures hash. ARGV: group, source,
 * then IDs. Acknowledges them and forgets their recorded failures. Returns how many
 * were pending.
 */
export const ACK = script(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 3))
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[2] .. ':' .. ARGV[i] end
redis.call('HDEL', KEYS[2], unpack(fields))
return acked
`);

/**
 * KEYS: stream, redrive, the group's failures hash. ARGV: group, consumer, min idle
 * ms, count. Claims entries idle that long from either stream (XAUTOCLAIM, scanning
 * each pending list to its end or the count), with each one's delivery count and
 * recorded failure ('' for none); forgets the failures of entries that are gone.
 * Returns {stream entries, counts, gone IDs, failures, then the same for redrive}.
 */
export const CLAIM_IDLE = script(`
local sources = {'stream', 'redrive'}
local limit = tonumber(ARGV[4])
local taken = 0
local out = {}
for k = 1, 2 do
  local entries, counts, gone, failures = {}, {}, {}, {}
  local start = '0-0'
  local rounds = 0
  while taken < limit and rounds < 10 do
    local ok, reply = pcall(redis.call, 'XAUTOCLAIM', KEYS[k], ARGV[1], ARGV[2], ARGV[3], start, 'COUNT', limit - taken)
    if not ok then break end
    for _, entry in ipairs(reply[2]) do
      if entry then
        table.insert(entries, entry)
        local pending = redis.call('XPENDING', KEYS[k], ARGV[1], entry[1], entry[1], 1)
        table.insert(counts, pending[1] and pending[1][4] or 1)
        table.insert(failures, redis.call('HGET', KEYS[3], sources[k] .. ':' .. entry[1]) or '')
        taken = taken + 1
      end
    end
    for _, id in ipairs(reply[3] or {}) do
      table.insert(gone, id)
      redis.call('HDEL', KEYS[3], sources[k] .. ':' .. id)
      taken = taken + 1
    end
    start = reply[1]
    rounds = rounds + 1
    if start == '0-0' then break end
  end
  table.insert(out, entries)
  table.insert(out, counts)
  table.insert(out, gone)
  table.insert(out, failures)
end
return out
`);

/**
 * KEYS: the entry's source stream, the dead letters, the group's failures hash. ARGV:
 * group, ID, its failure field, then the dead letter's field/value pairs. Moves the
 * entry to the dead letters and acknowledges it (forgetting its failures), if it is
 * still pending. Returns the dead letter's ID, or false.
 */
export const DEAD_LETTER = script(`
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if not pending[1] then return false end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[3])
return id
`);

/**
 * KEYS: dead letters, redrive. ARGV: '*' for all, or IDs. Puts dead letters back
 * on the redrive stream (their entry's fields, and redriven_origin) and deletes
 * them. Returns how many moved.
 */
export const REDRIVE = script(`
local moved = 0
local function move(entry)
  local fields = {}
  local origin = ''
  for i = 1, #entry[2], 2 do
    local name, value = entry[2][i], entry[2][i + 1]
    if name == 'dead_origin' then origin = value end
    if string.sub(name, 1, 5) ~= 'dead_' and name ~= 'redriven_origin' then
      table.insert(fields, name)
      table.insert(fields, value)
    end
  end
  table.insert(fields, 'redriven_origin')
  table.insert(fields, origin)
  redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('XDEL', KEYS[1], entry[1])
  moved = moved + 1
end
if ARGV[1] == '*' then
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do move(entry) end
else
  for i = 1, #ARGV do
    local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
    if entry then move(entry) end
  end
end
return moved
`);

/**
 * KEYS: stream, redrive. ARGV: group, idle ms, the consumer to keep. Removes each
 * consumer idle that long with no pending entry on either stream, checked and
 * removed in one step. Returns the names removed.
 */
export const REMOVE_IDLE_CONSUMERS = script(`
local held = {}
local ok, redriving = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[2], ARGV[1])
if ok then
  for _, consumer in ipairs(redriving) do
    local f = {}
    for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
    held[f['name']] = f['pending']
  end
end
local removed = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #consumer, 2 do f[consumer[i]] = consumer[i + 1] end
  if f['name'] ~= ARGV[3] and f['pending'] == 0 and (held[f['name']] or 0) == 0 and f['idle'] >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    pcall(redis.call, 'XGROUP', 'DELCONSUMER', KEYS[2], ARGV[1], f['name'])
    table.insert(removed, f['name'])
  end
end
return removed
`);

/**
 * KEYS: stream, redrive, the group's failures hash. ARGV: group, consumer, count.
 * The entries pending on the consumer in both streams, changing nothing. Returns
 * {stream entries, counts, failures, then the same for redrive}; an entry no longer
 * in its stream is left out (a claim reports it).
 */
export const PENDING_OF = script(`
local sources = {'stream', 'redrive'}
local left = tonumber(ARGV[3])
local out = {}
for k = 1, 2 do
  local entries, counts, failures = {}, {}, {}
  local ok, pending = pcall(redis.call, 'XPENDING', KEYS[k], ARGV[1], '-', '+', left, ARGV[2])
  if ok then
    for _, p in ipairs(pending) do
      local entry = redis.call('XRANGE', KEYS[k], p[1], p[1])[1]
      if entry then
        table.insert(entries, entry)
        table.insert(counts, p[4])
        table.insert(failures, redis.call('HGET', KEYS[3], sources[k] .. ':' .. p[1]) or '')
        left = left - 1
      end
    end
  end
  table.insert(out, entries)
  table.insert(out, counts)
  table.insert(out, failures)
  if left <= 0 then left = 0 end
end
return out
`);
