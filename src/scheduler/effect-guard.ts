import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';

/** One Redis command, e.g. ['HSET', key, 'status', 'done'] or ['RPUSH', key, value]. */
export type RedisOp = (string | number)[];

/** A precondition: HGET key field must equal `equals` ('' = field absent), else the job is stale. */
export interface HashCheck {
  key: string;
  field: string;
  equals: string;
}

export type GuardResult = 'applied' | 'already-done' | 'stale';

// KEYS[1] done marker. ARGV[1] ttl seconds, ARGV[2] JSON {checks, ops}.
// The marker and the side effect are written in one script, so a job that BullMQ runs twice
// (at-least-once: crash after the effect, lock lost) applies its effect once.
const SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local spec = cjson.decode(ARGV[2])
for _, c in ipairs(spec.checks) do
  local v = redis.call('HGET', c.key, c.field)
  if not v then v = '' end
  if v ~= c.equals then
    redis.call('SET', KEYS[1], 'stale', 'EX', tonumber(ARGV[1]))
    return -1
  end
end
for _, op in ipairs(spec.ops) do redis.call(unpack(op)) end
redis.call('SET', KEYS[1], 'done', 'EX', tonumber(ARGV[1]))
return 1
`;

/**
 * Exactly-once effects on top of BullMQ's at-least-once delivery: a handler computes its Redis writes,
 * then commits them with a per-job "done" marker atomically. Effects outside Redis (jobs added with
 * deterministic ids, bus events) must be idempotent themselves and happen before the commit.
 */
export class EffectGuard {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly ttlSec = 30 * 24 * 3600) {}

  markerKey(effectKey: string): string {
    return this.keys.k('sched', 'done', effectKey);
  }

  async isDone(effectKey: string): Promise<boolean> {
    return (await this.redis.exists(this.markerKey(effectKey))) === 1;
  }

  /** `ttlSec` overrides how long the marker is kept (one-off API writes need it only briefly). */
  async commit(effectKey: string, ops: RedisOp[], checks: HashCheck[] = [], ttlSec = this.ttlSec): Promise<GuardResult> {
    const r = Number(await this.redis.eval(SCRIPT, 1, this.markerKey(effectKey), ttlSec, JSON.stringify({ checks, ops: ops.map((o) => o.map(String)) })));
    return r === 1 ? 'applied' : r === 0 ? 'already-done' : 'stale';
  }
}
