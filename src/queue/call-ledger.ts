import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { LuaScript } from '../lua-script.js';
import { dayOf, DAY_TOTALS_TTL_SEC } from '../agents/agent-time.js';
import type { Skills } from '../agents/agent-schema.js';
import type { RoutingCall } from './routing/types.js';

const reserveLua = new LuaScript(new URL('./lua/reserve-agent.lua', import.meta.url));
const leaveLua = new LuaScript(new URL('./lua/leave-queue.lua', import.meta.url));

/** Higher priority first, then first come first served; fits a double exactly for ms timestamps. */
const MAX_PRIORITY = 9;
export function waitScore(priority: number, enqueuedAt: number): number {
  return (MAX_PRIORITY - priority) * 1e13 + enqueuedAt;
}

export interface LedgerCall extends RoutingCall {
  queueId: string;
  /** The service instance holding the caller's channel; only it offers the call. */
  instance: string;
  callerNumber: string;
}

export type CallState = 'waiting' | 'offered' | 'connected' | 'done';

/**
 * Calls waiting in queues, shared by every instance in Redis: a hash per call and, per queue, a zset in
 * routing order (priority, then arrival) and a zset by arrival time (longest wait for the wallboard).
 */
export class CallLedger {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  callKey(callId: string): string { return this.keys.k('qcall', callId); }
  waitingKey(queueId: string): string { return this.keys.k('qwait', queueId); }
  sinceKey(queueId: string): string { return this.keys.k('qsince', queueId); }

  async add(c: LedgerCall): Promise<void> {
    const m = this.redis.multi();
    m.hset(this.callKey(c.callId), {
      state: 'waiting', queueId: c.queueId, instance: c.instance, priority: c.priority, enqueuedAt: c.enqueuedAt,
      requiredSkills: JSON.stringify(c.requiredSkills), ownerAgentId: c.ownerAgentId ?? '', callerNumber: c.callerNumber,
    });
    m.expire(this.callKey(c.callId), 24 * 3600);
    m.zadd(this.waitingKey(c.queueId), waitScore(c.priority, c.enqueuedAt), c.callId);
    m.zadd(this.sinceKey(c.queueId), c.enqueuedAt, c.callId);
    await m.exec();
  }

  /** Routing attributes never change after add: cached per queue, so a pass reads only new calls. */
  private readonly attrs = new Map<string, Map<string, LedgerCall>>();

  /** Waiting calls of a queue in routing order, with what the strategies need. */
  async waiting(queueId: string): Promise<LedgerCall[]> {
    const ids = await this.redis.zrange(this.waitingKey(queueId), 0, -1);
    let cache = this.attrs.get(queueId);
    if (!cache) this.attrs.set(queueId, (cache = new Map()));
    const missing = ids.filter((id) => !cache.has(id));
    if (missing.length) {
      const p = this.redis.pipeline();
      for (const id of missing) p.hgetall(this.callKey(id));
      const rows = (await p.exec()) ?? [];
      missing.forEach((callId, i) => {
        const h = rows[i]?.[1] as Record<string, string> | undefined;
        if (!h?.state) return;
        cache.set(callId, {
          callId, queueId, instance: h.instance, priority: Number(h.priority), enqueuedAt: Number(h.enqueuedAt),
          requiredSkills: JSON.parse(h.requiredSkills || '{}') as Skills, ownerAgentId: h.ownerAgentId || null,
          callerNumber: h.callerNumber ?? '',
        });
      });
    }
    const out: LedgerCall[] = [];
    const live = new Set(ids);
    for (const id of ids) {
      const c = cache.get(id);
      if (c) out.push(c);
    }
    if (cache.size > 2 * ids.length + 100) for (const id of cache.keys()) if (!live.has(id)) cache.delete(id);
    return out;
  }

  /** 1-based position in the queue (null when not waiting). */
  async position(queueId: string, callId: string): Promise<number | null> {
    const r = await this.redis.zrank(this.waitingKey(queueId), callId);
    return r === null ? null : r + 1;
  }

  async count(queueId: string): Promise<number> {
    return this.redis.zcard(this.waitingKey(queueId));
  }

  /** Arrival time of the longest-waiting caller, or null. */
  async oldest(queueId: string): Promise<number | null> {
    const r = await this.redis.zrange(this.sinceKey(queueId), 0, 0, 'WITHSCORES');
    return r.length === 2 ? Number(r[1]) : null;
  }

  /**
   * Reserves agents for the call atomically (see lua/reserve-agent.lua). 'gone' when the call is not waiting;
   * otherwise the agents reserved with the time each had been available since.
   */
  async reserve(opts: {
    callId: string; queueId: string; agentIds: string[]; mode: 'first' | 'all'; now: number;
    stateKey: (id: string) => string; availableKey: string; totalsKey: (id: string, day: string) => string;
  }): Promise<'gone' | { agentId: string; availableSince: number }[]> {
    const day = dayOf(opts.now);
    const keys = [
      this.callKey(opts.callId), this.waitingKey(opts.queueId), opts.availableKey,
      ...opts.agentIds.map(opts.stateKey), ...opts.agentIds.map((id) => opts.totalsKey(id, day)),
    ];
    const res = (await reserveLua.run(this.redis, keys, [opts.callId, opts.queueId, opts.now, opts.mode, DAY_TOTALS_TTL_SEC, ...opts.agentIds])) as number | string[];
    if (res === -1) return 'gone';
    const arr = res as string[];
    const out: { agentId: string; availableSince: number }[] = [];
    for (let i = 0; i < arr.length; i += 2) out.push({ agentId: arr[i], availableSince: Number(arr[i + 1]) });
    return out;
  }

  /** Leaves the queue unless reserved meanwhile (true when it left). */
  async leave(queueId: string, callId: string, finalState = 'done'): Promise<boolean> {
    const r = await leaveLua.run(this.redis, [this.callKey(callId), this.waitingKey(queueId), this.sinceKey(queueId)], [callId, finalState]);
    return r === 1;
  }

  /** After an unanswered offer: back in line with its original place. */
  async requeue(c: { callId: string; queueId: string; priority: number; enqueuedAt: number }): Promise<void> {
    const m = this.redis.multi();
    m.hset(this.callKey(c.callId), 'state', 'waiting', 'agents', '');
    m.zadd(this.waitingKey(c.queueId), waitScore(c.priority, c.enqueuedAt), c.callId);
    await m.exec();
  }

  async setState(callId: string, state: CallState, fields: Record<string, string | number> = {}): Promise<void> {
    await this.redis.hset(this.callKey(callId), { state, ...fields });
  }

  /** The call is no longer waiting (answered or gone): out of the wait-time index. */
  async finish(queueId: string, callId: string, state: CallState = 'done'): Promise<void> {
    const m = this.redis.multi();
    m.hset(this.callKey(callId), 'state', state);
    m.zrem(this.waitingKey(queueId), callId);
    m.zrem(this.sinceKey(queueId), callId);
    if (state === 'done') m.expire(this.callKey(callId), 3600);
    await m.exec();
  }
}
