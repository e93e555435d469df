-- Atomic agent state transition (compare-and-set), run by every service instance.
-- Accumulates the time spent in the previous state into the agent's daily totals and keeps
-- the shared "available" sorted set (score = available since, ms) in step with the state.
-- KEYS[1] agent state hash   KEYS[2] available zset   KEYS[3] agent daily totals hash
-- ARGV[1] agentId  ARGV[2] new state  ARGV[3] allowed previous states (',a,b,' or '*')
-- ARGV[4] now ms   ARGV[5] reason ('' for none)  ARGV[6] callId ('' = none): must match the agent's call if it
--   has one; recorded when entering reserved / on-call / wrap-up
-- ARGV[7] daily totals TTL (s)  ARGV[8] unanswered counter: 'keep' | 'reset' | 'incr'
-- Returns {'ok', prevState, prevSince, unanswered, callId, queueId} or {'err', currentState}.
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then cur = 'logged-out' end
if ARGV[3] ~= '*' and not string.find(ARGV[3], ',' .. cur .. ',', 1, true) then
  return {'err', cur}
end
local callId = redis.call('HGET', KEYS[1], 'callId') or ''
-- a call id guards against late timers and stale offers: refused only when the agent is on another call
if ARGV[6] ~= '' and callId ~= '' and callId ~= ARGV[6] then
  return {'err', cur}
end
local queueId = redis.call('HGET', KEYS[1], 'queueId') or ''
local now = tonumber(ARGV[4])
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '')
local fields = { ['available'] = 'idleMs', ['reserved'] = 'ringMs', ['on-call'] = 'talkMs', ['wrap-up'] = 'wrapMs', ['paused'] = 'pauseMs' }
if since and fields[cur] then
  redis.call('HINCRBY', KEYS[3], fields[cur], math.max(0, now - since))
end
-- an on-call agent still holding the caller when the call ends: close the hold period
local holdSince = tonumber(redis.call('HGET', KEYS[1], 'holdSince') or '')
if holdSince and ARGV[2] ~= 'on-call' then
  redis.call('HINCRBY', KEYS[3], 'holdMs', math.max(0, now - holdSince))
  redis.call('HDEL', KEYS[1], 'holdSince')
end
local new = ARGV[2]
redis.call('HSET', KEYS[1], 'state', new, 'since', now, 'reason', ARGV[5])
if new == 'available' or new == 'paused' or new == 'logged-out' then
  redis.call('HDEL', KEYS[1], 'callId', 'queueId')
elseif ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'callId', ARGV[6])
end
if new == 'on-call' then redis.call('HINCRBY', KEYS[3], 'calls', 1) end
if new == 'logged-out' then redis.call('HDEL', KEYS[1], 'loginAt') end
if cur == 'logged-out' and new ~= 'logged-out' then redis.call('HSET', KEYS[1], 'loginAt', now) end
local un = tonumber(redis.call('HGET', KEYS[1], 'unanswered') or '0')
if ARGV[8] == 'reset' then un = 0 elseif ARGV[8] == 'incr' then un = un + 1; redis.call('HINCRBY', KEYS[3], 'missed', 1) end
redis.call('HSET', KEYS[1], 'unanswered', un)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
if new == 'available' then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {'ok', cur, tostring(since or now), tostring(un), callId, queueId}
