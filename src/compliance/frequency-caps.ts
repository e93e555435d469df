import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';

export const capRuleSchema = z.object({
  windowMs: z.number().int().positive(),
  max: z.number().int().min(0),
  label: z.string().max(40).optional(),
});
export type CapRule = z.infer<typeof capRuleSchema>;

const DAY = 24 * 3600_000;
/** Defaults from the issue: at most 3 attempts a day and 10 a week per number, across all campaigns. */
export const DEFAULT_CAP_RULES: CapRule[] = [
  { windowMs: DAY, max: 3, label: 'per day' },
  { windowMs: 7 * DAY, max: 10, label: 'per week' },
];

/** `token` identifies the counted attempt (tryConsume) so it can be refunded if no call was placed. */
export type CapResult = { allowed: true; token?: string } | { allowed: false; rule: CapRule; nextAllowedAt: number };

// KEYS[1] attempts zset; ARGV: now, consume(0/1), member, longestWindow, then pairs windowMs,max.
// Returns {0} when allowed, else {ruleIndex, nextAllowedAt}. Atomic so two dialers cannot both take the last slot.
const SCRIPT = `
local now = tonumber(ARGV[1])
local longest = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local idx = 0
for i = 5, #ARGV, 2 do
  idx = idx + 1
  local win = tonumber(ARGV[i])
  local max = tonumber(ARGV[i + 1])
  local n = redis.call('ZCOUNT', KEYS[1], '(' .. (now - win), '+inf')
  if n >= max then
    local nth = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - win), '+inf', 'WITHSCORES', 'LIMIT', n - max, 1)
    local at = now
    if nth[2] then at = tonumber(nth[2]) + win end
    return {idx, at}
  end
end
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], longest)
end
return {0}
`;

/** Attempts per phone number within rolling windows, shared by every campaign (and the scheduler's reminders). */
export class FrequencyCaps {
  private seq = 0;

  constructor(private readonly redis: Redis, private readonly keys: Keys, readonly rules: CapRule[] = DEFAULT_CAP_RULES) {}

  /** Would an attempt now be allowed? Does not count one. */
  check(phone: string, now = Date.now()): Promise<CapResult> {
    return this.run(phone, now, false);
  }

  /** Counts an attempt if (and only if) it is allowed; use at dial time. */
  tryConsume(phone: string, now = Date.now()): Promise<CapResult> {
    return this.run(phone, now, true);
  }

  /** Gives back an attempt counted by tryConsume when the call was not placed after all (e.g. preview skip). */
  async refund(phone: string, token: string): Promise<void> {
    await this.redis.zrem(this.keys.k('fcap', phone), token);
  }

  private async run(phone: string, now: number, consume: boolean): Promise<CapResult> {
    if (!this.rules.length) return { allowed: true };
    const longest = Math.max(...this.rules.map((r) => r.windowMs));
    const token = `${now}:${process.pid}:${this.seq++}`;
    const args = [now, consume ? 1 : 0, token, longest, ...this.rules.flatMap((r) => [r.windowMs, r.max])];
    const res = (await this.redis.eval(SCRIPT, 1, this.keys.k('fcap', phone), ...args)) as number[];
    if (res[0] === 0) return consume ? { allowed: true, token } : { allowed: true };
    return { allowed: false, rule: this.rules[res[0] - 1], nextAllowedAt: Number(res[1]) };
  }
}
