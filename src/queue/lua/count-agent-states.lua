-- Agents of a queue by state, counted inside Redis: one small reply instead of one per member
-- (wallboards refresh this every second for queues with a thousand members).
-- Reads agent state hashes by name (prefix + id), so it assumes a single Redis node, as the rest of the ACD does.
-- KEYS[1] queue members set   ARGV[1] agent state key prefix
-- Returns {state, count, state, count, ...}; members without a state hash count as logged-out.
local counts = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local st = redis.call('HGET', ARGV[1] .. id, 'state') or 'logged-out'
  counts[st] = (counts[st] or 0) + 1
end
local out = {}
for st, n in pairs(counts) do
  out[#out + 1] = st
  out[#out + 1] = n
end
return out
