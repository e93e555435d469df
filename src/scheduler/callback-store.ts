import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import { callbackSchema, type Callback } from './callback-schema.js';
import type { EffectGuard, GuardResult, RedisOp } from './effect-guard.js';
import { jobId, type SchedulerQueue } from './job-queue.js';

export interface StoredCallback {
  cb: Callback;
  /** Id of the due job that may act on this callback ('' when none: done, cancelled...). */
  jobId: string;
  rev: number;
}

export interface CallbackListFilter {
  agentId?: string;
  leadId?: string;
  status?: Callback['status'];
  from?: number;
  to?: number;
  limit?: number;
}

const HISTORY_MAX = 50;

/**
 * Callbacks in Redis:
 *  sched:cb:<id>              hash json, jobId, rev
 *  sched:cbs                  zset id -> dueAt (every callback)
 *  sched:cbs:agent:<agentId>  zset id -> dueAt (an owner's callbacks)
 *  sched:cbs:lead:<leadId>    set of ids
 * Writes go through EffectGuard.commit with a check on jobId, so a job that lost a race (the callback was
 * rescheduled or cancelled meanwhile) changes nothing, and a job run twice commits once.
 */
export class CallbackStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly queue: SchedulerQueue,
    private readonly guard: EffectGuard,
    private readonly dueSoonMs: number,
  ) {}

  key = {
    cb: (id: string) => this.keys.k('sched', 'cb', id),
    all: () => this.keys.k('sched', 'cbs'),
    agent: (a: string) => this.keys.k('sched', 'cbs', 'agent', a),
    lead: (l: string) => this.keys.k('sched', 'cbs', 'lead', l),
  };

  async get(id: string): Promise<StoredCallback | null> {
    const h = await this.redis.hgetall(this.key.cb(id));
    if (!h.json) return null;
    return { cb: callbackSchema.parse(JSON.parse(h.json)), jobId: h.jobId ?? '', rev: Number(h.rev ?? 0) };
  }

  async list(f: CallbackListFilter): Promise<Callback[]> {
    const limit = f.limit ?? 200;
    let ids: string[];
    if (f.leadId) ids = await this.redis.smembers(this.key.lead(f.leadId));
    else {
      const zkey = f.agentId ? this.key.agent(f.agentId) : this.key.all();
      ids = await this.redis.zrangebyscore(zkey, f.from ?? '-inf', f.to ?? '+inf', 'LIMIT', 0, f.status ? limit * 10 : limit);
    }
    if (!ids.length) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hget(this.key.cb(id), 'json');
    const rows = ((await p.exec()) ?? []).map(([, v]) => (v ? callbackSchema.parse(JSON.parse(v as string)) : null));
    return rows
      .filter((c): c is Callback => !!c)
      .filter((c) => (!f.agentId || c.ownerAgentId === f.agentId) && (!f.status || c.status === f.status))
      .filter((c) => (f.from === undefined || c.dueAt >= f.from) && (f.to === undefined || c.dueAt <= f.to))
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
  }

  /** Ids of the due job and the due-soon job for one schedule of a callback. */
  jobIdsFor(id: string, rev: number, dueAt: number): { due: string; soon: string } {
    return { due: jobId('cb', id, rev, dueAt), soon: jobId('cbsoon', id, rev, dueAt) };
  }

  /**
   * Writes a new state of a callback. With `schedule`, the due job (and the due-soon job unless `quiet`)
   * for next.dueAt are added first: their ids are deterministic, so a crash before the commit and a retry
   * add nothing twice. `expectJobId` is the optimistic-concurrency check ('' for a new callback).
   */
  async write(
    effectKey: string,
    prev: StoredCallback | null,
    next: Callback,
    opts: { schedule?: boolean; quiet?: boolean; now?: number; markerTtlSec?: number } = {},
  ): Promise<{ result: GuardResult; jobId: string }> {
    const now = opts.now ?? Date.now();
    const rev = (prev?.rev ?? 0) + (opts.schedule ? 1 : 0);
    let newJobId = '';
    if (opts.schedule) {
      const ids = this.jobIdsFor(next.id, rev, next.dueAt);
      newJobId = ids.due;
      await this.queue.at('callback-due', ids.due, { callbackId: next.id }, next.dueAt, now);
      const soonAt = next.dueAt - this.dueSoonMs;
      if (!opts.quiet && next.ownerAgentId && soonAt > now) {
        await this.queue.at('callback-due-soon', ids.soon, { callbackId: next.id, jobRef: ids.due }, soonAt, now);
      }
    }
    next.history = next.history.slice(-HISTORY_MAX);
    const ops: RedisOp[] = [
      ['HSET', this.key.cb(next.id), 'json', JSON.stringify(next), 'jobId', newJobId, 'rev', rev],
      ['ZADD', this.key.all(), next.dueAt, next.id],
    ];
    if (prev?.cb.ownerAgentId && prev.cb.ownerAgentId !== next.ownerAgentId) ops.push(['ZREM', this.key.agent(prev.cb.ownerAgentId), next.id]);
    if (next.ownerAgentId) ops.push(['ZADD', this.key.agent(next.ownerAgentId), next.dueAt, next.id]);
    if (next.leadId) ops.push(['SADD', this.key.lead(next.leadId), next.id]);
    const checks = [{ key: this.key.cb(next.id), field: 'jobId', equals: prev?.jobId ?? '' }];
    if (!prev) checks.push({ key: this.key.cb(next.id), field: 'json', equals: '' });
    const result = await this.guard.commit(effectKey, ops, checks, opts.markerTtlSec);
    if (result === 'applied' && prev?.jobId && prev.jobId !== newJobId) {
      // The old jobs would find themselves stale anyway; removing them keeps the queue (and dashboard) tidy.
      const old = this.jobIdsFor(next.id, prev.rev, prev.cb.dueAt);
      await this.queue.removeMany([old.due, old.soon]);
    }
    return { result, jobId: newJobId };
  }
}
