/**
 * @module
 * The scripts of the lineage index (redis-lineage.ts; the package README, "Lineage").
 * A correlation's index in a channel is a list in the channel's slot,
 * `<prefix>:{<channel>}:lineage:<correlation>`, of `e <id>` (an event; `e <id>
 * <cause channel> <cause id>` when its publisher named where its cause is) and
 * `m <id> <mark JSON>` (a consumer's mark); the channels a correlation reached are a
 * set, `<prefix>:lineage:{<correlation>}`. The append script pushes the event in the
 * same step as the XADD (state-scripts.ts).
 */

import { script } from './scripts.js';

/**
 * Lua functions the scripts share: push an element on a channel's index (trimmed to
 * the newest `max`, expiring `ttl` ms after it, '' for never), and add a channel to
 * a correlation's set, whose expiry only ever grows ('' for never).
 */
export const LINEAGE_FUNCTIONS = `
local function lineage_push(key, element, ttl, max)
  if redis.call('RPUSH', key, element) > tonumber(max) then redis.call('LTRIM', key, -tonumber(max), -1) end
  if ttl == '' then redis.call('PERSIST', key) else redis.call('PEXPIRE', key, ttl) end
end
local function lineage_register(key, channel, ttl)
  local existed = redis.call('EXISTS', key)
  redis.call('SADD', key, channel)
  if ttl == '' then
    redis.call('PERSIST', key)
  else
    local left = redis.call('PTTL', key)
    if existed == 0 or (left >= 0 and left < tonumber(ttl)) then redis.call('PEXPIRE', key, ttl) end
  end
end
`;

/**
 * KEYS: a correlation's set of channels. ARGV: the channel, the set's TTL in ms ('' for
 * none). On a cluster, where the set and the channel's keys are in different slots:
 * run before the append, so the set never misses a channel whose index has entries.
 */
export const LINEAGE_REGISTER = script(`${LINEAGE_FUNCTIONS}
lineage_register(KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * KEYS: the channel's index of the correlation, then (one server) its set of
 * channels. ARGV: the element, its TTL in ms ('' for none), the most elements kept,
 * the set's TTL ('' for none), the channel. A consumer's mark.
 */
export const LINEAGE_MARK = script(`${LINEAGE_FUNCTIONS}
lineage_push(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
if #KEYS >= 2 then lineage_register(KEYS[2], ARGV[5], ARGV[4]) end
return 1
`);

/**
 * KEYS: the channel's index of the correlation, then (one server) its set of channels.
 * ARGV: the index's TTL in ms ('' for none), the most elements kept, the set's TTL
 * ('' for none), the channel, then the IDs of events the stream holds. Adds `e <id>`
 * for each ID the index does not name yet (events appended around the rail), puts
 * the index back in cursor order (an element's place among those of one ID kept) and
 * keeps its newest `max`. Returns how many it added.
 */
export const LINEAGE_INDEX = script(`${LINEAGE_FUNCTIONS}
local held = redis.call('LRANGE', KEYS[1], 0, -1)
local elements, named = {}, {}
for i, element in ipairs(held) do
  elements[i] = {element, i}
  local id = string.match(element, '^e (%S+)')
  if id then named[id] = true end
end
local added = 0
for i = 5, #ARGV do
  if not named[ARGV[i]] then
    named[ARGV[i]] = true
    added = added + 1
    elements[#elements + 1] = {'e ' .. ARGV[i], #elements + 1}
  end
end
if added == 0 then return 0 end
-- An ID's two numbers have no leading zeros: the longer is the larger, else as text.
local function before(a, b) if #a ~= #b then return #a < #b end return a < b end
local function parts(element)
  local ms, seq = string.match(element[1], '^%a (%d+)%-(%d+)')
  return ms or '', seq or ''
end
table.sort(elements, function(x, y)
  local xms, xseq = parts(x)
  local yms, yseq = parts(y)
  if xms ~= yms then return before(xms, yms) end
  if xseq ~= yseq then return before(xseq, yseq) end
  return x[2] < y[2]
end)
redis.call('DEL', KEYS[1])
local chunk = {}
for i = math.max(1, #elements - tonumber(ARGV[2]) + 1), #elements do
  chunk[#chunk + 1] = elements[i][1]
  if #chunk == 1000 then
    redis.call('RPUSH', KEYS[1], unpack(chunk))
    chunk = {}
  end
end
if #chunk > 0 then redis.call('RPUSH', KEYS[1], unpack(chunk)) end
if ARGV[1] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if #KEYS >= 2 then lineage_register(KEYS[2], ARGV[4], ARGV[3]) end
return added
`);

/**
 * KEYS: the channel's index of the correlation, the channel's stream. Returns
 * {elements, entries}: each element of the index and, for an event, its entry's
 * fields (nil when the stream no longer holds it, and for a mark). Reads only the
 * correlation's own entries.
 */
export const LINEAGE_READ = script(`
local elements = redis.call('LRANGE', KEYS[1], 0, -1)
local entries = {}
for i, element in ipairs(elements) do
  local entry = false
  if string.sub(element, 1, 2) == 'e ' then
    local id = string.match(element, '^e (%S+)')
    local found = redis.call('XRANGE', KEYS[2], id, id)
    if found[1] then entry = found[1][2] end
  end
  entries[i] = entry
end
return {elements, entries}
`);
