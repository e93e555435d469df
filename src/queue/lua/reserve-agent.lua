-- Atomic reservation of agent(s) for a waiting call. Every router instance runs this; Redis runs scripts one
-- at a time, so one call never reaches two agents (except ring-all, on purpose) and one agent never gets two calls.
-- KEYS[1] call hash   KEYS[2] queue waiting zset   KEYS[3] available-agents zset
-- KEYS[3+i] agent i state hash   KEYS[3+n+i] agent i daily totals hash   (i = 1..n)
-- ARGV[1] callId  ARGV[2] queueId  ARGV[3] now ms  ARGV[4] 'first' | 'all'  ARGV[5] totals TTL (s)
-- ARGV[5+i] agent i id, best first
-- Returns -1 when the call is no longer waiting, else {agentId, availableSince, ...} for each agent reserved
-- (empty: every candidate was taken meanwhile).
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return -1 end
local n = #ARGV - 5
local now = tonumber(ARGV[3])
local got = {}
local names = {}
for i = 1, n do
  local sk = KEYS[3 + i]
  if redis.call('HGET', sk, 'state') == 'available' then
    local since = tonumber(redis.call('HGET', sk, 'since') or '') or now
    redis.call('HINCRBY', KEYS[3 + n + i], 'idleMs', math.max(0, now - since))
    redis.call('EXPIRE', KEYS[3 + n + i], tonumber(ARGV[5]))
    redis.call('HSET', sk, 'state', 'reserved', 'since', now, 'callId', ARGV[1], 'queueId', ARGV[2], 'reason', '')
    redis.call('ZREM', KEYS[3], ARGV[5 + i])
    got[#got + 1] = ARGV[5 + i]
    got[#got + 1] = tostring(since)
    names[#names + 1] = ARGV[5 + i]
    if ARGV[4] == 'first' then break end
  end
end
if #names > 0 then
  redis.call('HSET', KEYS[1], 'state', 'offered', 'agents', table.concat(names, ','))
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return got
