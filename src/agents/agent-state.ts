import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { LuaScript } from '../lua-script.js';
import { agentStateSchema, type AgentState, type RequestableState } from './agent-schema.js';
import { dayOf, DAY_TOTALS_TTL_SEC, toDayTotals, type AgentDayTotals } from './agent-time.js';
import type { PauseCodeStore } from './pause-codes.js';

const setStateLua = new LuaScript(new URL("./lua/set-agent-state.lua", import.meta.url));

/** Anything that fans events out (the EventBus). */
export interface EventPublisher {
  publish(topic: string, event: { type: string; [k: string]: unknown }): Promise<void>;
}

export interface AgentStatus {
  agentId: string;
  state: AgentState;
  since: number;
  reason?: string;
  callId?: string;
  queueId?: string;
  unanswered: number;
  loginAt?: number;
}

/** One state change, as published on `agent:<id>` and handed to local listeners. */
export interface AgentTransition {
  agentId: string;
  state: AgentState;
  prev: AgentState;
  reason?: string;
  at: number;
  prevSince: number;
  prevDurationMs: number;
  callId?: string;
  queueId?: string;
  unanswered: number;
}

export type TransitionListener = (t: AgentTransition) => void;

export class TransitionError extends Error {
  constructor(readonly agentId: string, readonly current: AgentState, readonly wanted: AgentState) {
    super(`agent ${agentId} cannot go from ${current} to ${wanted}`);
  }
}

export interface TransitionOptions {
  /** Previous states allowed; omitted = any. */
  from?: AgentState[];
  reason?: string;
  /**
   * The call this transition is about: refused when the agent is attached to another call (guards late timers
   * and stale offers); recorded on the agent when entering reserved, on-call or wrap-up.
   */
  callId?: string;
  unanswered?: 'keep' | 'reset' | 'incr';
}

/** Which states an agent may ask for, from where (the ACD drives reserved/on-call/wrap-up itself). */
const REQUEST_FROM: Record<RequestableState, AgentState[]> = {
  available: ['logged-out', 'paused', 'wrap-up'],
  paused: ['logged-out', 'available', 'wrap-up', 'paused'],
  'logged-out': ['available', 'paused', 'wrap-up'],
};

export interface AgentStateServiceOptions {
  redis: Redis;
  keys: Keys;
  bus: EventPublisher;
  pauseCodes: PauseCodeStore;
  /** Queue membership, to tag events for supervisors watching a queue. */
  queuesOf?: (agentId: string) => Promise<string[]>;
  now?: () => number;
}

/**
 * Agent state machine over Redis (atomic Lua compare-and-set, shared by every instance). Every transition
 * is recorded (per-agent event stream), published on the bus and accumulates daily talk/hold/wrap/pause time.
 */
export class AgentStateService {
  private readonly listeners = new Set<TransitionListener>();
  private readonly now: () => number;

  constructor(private readonly o: AgentStateServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  stateKey(agentId: string): string { return this.o.keys.k('astate', agentId); }
  get availableKey(): string { return this.o.keys.k('agents-available'); }
  totalsKey(agentId: string, day: string): string { return this.o.keys.k('atotals', agentId, day); }
  private historyKey(agentId: string): string { return this.o.keys.k('aevents', agentId); }

  onTransition(l: TransitionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async get(agentId: string): Promise<AgentStatus> {
    return toStatus(agentId, await this.o.redis.hgetall(this.stateKey(agentId)));
  }

  async getMany(agentIds: string[]): Promise<AgentStatus[]> {
    if (!agentIds.length) return [];
    const p = this.o.redis.pipeline();
    for (const id of agentIds) p.hgetall(this.stateKey(id));
    const res = (await p.exec()) ?? [];
    return agentIds.map((id, i) => toStatus(id, (res[i]?.[1] ?? {}) as Record<string, string>));
  }

  /** Every available agent (any queue) with the time it became available, from the shared index. */
  async availableSince(): Promise<Map<string, number>> {
    const rows = await this.o.redis.zrange(this.availableKey, 0, -1, 'WITHSCORES');
    const out = new Map<string, number>();
    for (let i = 0; i < rows.length; i += 2) out.set(rows[i], Number(rows[i + 1]));
    return out;
  }

  /** Just the states of several agents (wallboards count agents by state). */
  async statesOf(agentIds: string[]): Promise<AgentState[]> {
    if (!agentIds.length) return [];
    const p = this.o.redis.pipeline();
    for (const id of agentIds) p.hget(this.stateKey(id), 'state');
    const res = (await p.exec()) ?? [];
    return agentIds.map((_, i) => ((res[i]?.[1] as string | null) ?? 'logged-out') as AgentState);
  }

  /** A change asked for by the agent (or a supervisor): validates the pause reason and the starting state. */
  async request(agentId: string, state: RequestableState, reason?: string): Promise<AgentTransition> {
    if (state === 'paused') {
      if (!reason) throw new TransitionError(agentId, (await this.get(agentId)).state, state);
      if (!(await this.o.pauseCodes.isValid(reason))) throw new UnknownPauseCodeError(reason);
    }
    const cur = await this.get(agentId);
    if (cur.state === state && state !== 'paused') {
      // idempotent: asking again for the current state must not reset the idle time longest-idle ranks by
      return { agentId, state, prev: state, at: cur.since, prevSince: cur.since, prevDurationMs: 0, unanswered: cur.unanswered };
    }
    return this.transition(agentId, state, { from: REQUEST_FROM[state], reason: state === 'paused' ? reason : undefined, unanswered: state === 'available' ? 'reset' : 'keep' });
  }

  /** Any transition (the ACD uses this); throws TransitionError when the current state is not allowed. */
  async transition(agentId: string, state: AgentState, opts: TransitionOptions = {}): Promise<AgentTransition> {
    const r = await this.tryTransition(agentId, state, opts);
    if ('error' in r) throw new TransitionError(agentId, r.current, state);
    return r;
  }

  async tryTransition(agentId: string, state: AgentState, opts: TransitionOptions = {}): Promise<AgentTransition | { error: 'bad-transition'; current: AgentState }> {
    const at = this.now();
    const from = opts.from ? `,${opts.from.join(',')},` : '*';
    const res = (await setStateLua.run(
      this.o.redis,
      [this.stateKey(agentId), this.availableKey, this.totalsKey(agentId, dayOf(at))],
      [agentId, state, from, at, opts.reason ?? '', opts.callId ?? '', DAY_TOTALS_TTL_SEC, opts.unanswered ?? 'keep'],
    )) as string[];
    if (res[0] !== 'ok') return { error: 'bad-transition', current: agentStateSchema.parse(res[1]) };
    const prevSince = Number(res[2]);
    const t: AgentTransition = {
      agentId,
      state,
      prev: agentStateSchema.parse(res[1]),
      ...(opts.reason ? { reason: opts.reason } : {}),
      at,
      prevSince,
      prevDurationMs: Math.max(0, at - prevSince),
      ...(res[4] ? { callId: res[4] } : {}),
      ...(res[5] ? { queueId: res[5] } : {}),
      unanswered: Number(res[3]),
    };
    await this.announce(t);
    return t;
  }

  /**
   * Reservation happens inside the queue's Lua script (atomically with the call); the router reports it here
   * so it is recorded and published like any other transition.
   */
  async announceReserved(agentId: string, prevSince: number, at: number, callId: string, queueId: string): Promise<void> {
    const unanswered = Number((await this.o.redis.hget(this.stateKey(agentId), 'unanswered')) ?? 0);
    await this.announce({ agentId, state: 'reserved', prev: 'available', at, prevSince, prevDurationMs: Math.max(0, at - prevSince), callId, queueId, unanswered });
  }

  /** The agent put the caller on hold (or took them off): hold time accumulates per day. */
  async holdChanged(agentId: string, onHold: boolean): Promise<void> {
    const at = this.now();
    const k = this.stateKey(agentId);
    if (onHold) {
      await this.o.redis.hsetnx(k, 'holdSince', at);
    } else {
      const since = await this.o.redis.hget(k, 'holdSince');
      if (!since) return;
      const m = this.o.redis.multi();
      m.hdel(k, 'holdSince');
      m.hincrby(this.totalsKey(agentId, dayOf(at)), 'holdMs', Math.max(0, at - Number(since)));
      m.expire(this.totalsKey(agentId, dayOf(at)), DAY_TOTALS_TTL_SEC);
      await m.exec();
    }
    await this.o.bus.publish(`agent:${agentId}`, { type: onHold ? 'hold' : 'unhold', agentId, queues: await this.queuesOf(agentId) });
  }

  async dayTotals(agentId: string, day = dayOf(this.now())): Promise<AgentDayTotals> {
    return toDayTotals(day, await this.o.redis.hgetall(this.totalsKey(agentId, day)));
  }

  /** Today's answered calls and talk time for several agents in one round trip (fewest-calls, least-talk-time). */
  async todayCallsAndTalk(agentIds: string[], day: string): Promise<Map<string, { calls: number; talkMs: number }>> {
    const out = new Map<string, { calls: number; talkMs: number }>();
    if (!agentIds.length) return out;
    const p = this.o.redis.pipeline();
    for (const id of agentIds) p.hmget(this.totalsKey(id, day), 'calls', 'talkMs');
    const res = (await p.exec()) ?? [];
    agentIds.forEach((id, i) => {
      const [calls, talk] = (res[i]?.[1] ?? [null, null]) as (string | null)[];
      out.set(id, { calls: Number(calls ?? 0), talkMs: Number(talk ?? 0) });
    });
    return out;
  }

  /** Recent transitions, newest first. */
  async history(agentId: string, count = 100): Promise<AgentTransition[]> {
    const rows = await this.o.redis.xrevrange(this.historyKey(agentId), '+', '-', 'COUNT', count);
    return rows.map(([, f]) => JSON.parse(f[1]) as AgentTransition);
  }

  private async queuesOf(agentId: string): Promise<string[]> {
    return this.o.queuesOf ? this.o.queuesOf(agentId) : [];
  }

  private async announce(t: AgentTransition): Promise<void> {
    await this.o.redis.xadd(this.historyKey(t.agentId), 'MAXLEN', '~', 1000, '*', 't', JSON.stringify(t));
    for (const l of this.listeners) {
      try { l(t); } catch { /* a listener's failure must not undo a committed transition */ }
    }
    await this.o.bus.publish(`agent:${t.agentId}`, {
      type: 'agent-state',
      ...t,
      at: new Date(t.at).toISOString(),
      atMs: t.at,
      queues: await this.queuesOf(t.agentId),
    });
  }
}

export class UnknownPauseCodeError extends Error {
  constructor(readonly code: string) {
    super(`unknown pause reason code '${code}'`);
  }
}

function toStatus(agentId: string, h: Record<string, string>): AgentStatus {
  return {
    agentId,
    state: h.state ? agentStateSchema.parse(h.state) : 'logged-out',
    since: Number(h.since ?? 0),
    ...(h.reason ? { reason: h.reason } : {}),
    ...(h.callId ? { callId: h.callId } : {}),
    ...(h.queueId ? { queueId: h.queueId } : {}),
    unanswered: Number(h.unanswered ?? 0),
    ...(h.loginAt ? { loginAt: Number(h.loginAt) } : {}),
  };
}
