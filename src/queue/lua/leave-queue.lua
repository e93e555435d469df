-- A waiting call leaves its queue (abandon, exit key, timeout, empty queue) only if nobody reserved it meanwhile.
-- KEYS[1] call hash  KEYS[2] queue waiting zset  KEYS[3] queue wait-since zset
-- ARGV[1] callId  ARGV[2] final state
-- Returns 1 when it left, 0 when the call is being offered (the offer's outcome decides).
local st = redis.call('HGET', KEYS[1], 'state')
if st ~= 'waiting' then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
