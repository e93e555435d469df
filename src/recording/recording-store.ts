import { unlink } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';

/**
 * Recording metadata in Redis: one JSON value per recording plus sorted-set indexes (score = start time in
 * ms) for time, agent, campaign, queue and lead, and one by expiry time for the retention policy.
 */
export const recordingSchema = z.object({
  id: z.string(),
  callId: z.string(),
  campaignId: z.string().optional(),
  queueId: z.string().optional(),
  agentId: z.string().optional(),
  leadId: z.string().optional(),
  startedAt: z.string().describe('ISO time the recording started'),
  durationMs: z.number().int().nonnegative(),
  /** The "this call may be recorded" notice was played before recording. */
  noticePlayed: z.boolean(),
  /** Total time the recording was paused (rendered as silence). */
  pausedMs: z.number().int().nonnegative().default(0),
  path: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  format: z.literal('wav'),
});
export type Recording = z.infer<typeof recordingSchema>;

/** A recording in progress, kept so a restarted process can still convert its pcaps (recoverOrphanRecordings). */
export interface PendingRecording {
  callId: string;
  startedAt: number;
  meta: { campaignId?: string; queueId?: string; agentId?: string; leadId?: string; noticePlayed?: boolean };
  /** rtpengine's local ports of the customer leg (left channel); everything else goes right. */
  primaryPorts: number[];
  pausedMs: number;
}

export interface RecordingFilter {
  from?: Date;
  to?: Date;
  agentId?: string;
  campaignId?: string;
  queueId?: string;
  leadId?: string;
}

export interface RecordingPage {
  items: Recording[];
  /** Opaque; pass back as `cursor` for the next (older) page. Absent on the last page. */
  nextCursor?: string;
}

export interface RecordingStoreOptions {
  /** Days a recording is kept when its campaign has no policy of its own. */
  defaultRetentionDays: number;
  /** Static per-campaign policies (config); setCampaignRetention() overrides them at run time. */
  retentionByCampaign?: Record<string, number>;
}

const DAY_MS = 86_400_000;
const FILTER_INDEXES = [
  ['agentId', 'agent'],
  ['campaignId', 'campaign'],
  ['queueId', 'queue'],
  ['leadId', 'lead'],
] as const;

export class RecordingStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly o: RecordingStoreOptions,
  ) {}

  private rec(id: string): string {
    return this.keys.k('rec', id);
  }

  private idx(kind: string, value?: string): string {
    return value === undefined ? this.keys.k('rec:idx', kind) : this.keys.k('rec:idx', kind, value);
  }

  private indexKeys(r: Recording): string[] {
    const out = [this.idx('time')];
    for (const [field, kind] of FILTER_INDEXES) if (r[field]) out.push(this.idx(kind, r[field] as string));
    return out;
  }

  async retentionDays(campaignId?: string): Promise<number> {
    if (campaignId) {
      const v = await this.redis.hget(this.keys.k('rec:retention'), campaignId);
      if (v !== null) return Number(v);
      const s = this.o.retentionByCampaign?.[campaignId];
      if (s !== undefined) return s;
    }
    return this.o.defaultRetentionDays;
  }

  async save(input: Recording): Promise<Recording> {
    const r = recordingSchema.parse(input);
    const startMs = Date.parse(r.startedAt);
    const expires = startMs + (await this.retentionDays(r.campaignId)) * DAY_MS;
    const m = this.redis.multi().set(this.rec(r.id), JSON.stringify(r));
    for (const k of this.indexKeys(r)) m.zadd(k, startMs, r.id);
    m.zadd(this.idx('expires'), expires, r.id);
    await m.exec();
    return r;
  }

  async get(id: string): Promise<Recording | undefined> {
    const raw = await this.redis.get(this.rec(id));
    return raw ? recordingSchema.parse(JSON.parse(raw)) : undefined;
  }

  /** Newest first; the most selective index drives the scan, other filters are checked per item. */
  async list(f: RecordingFilter & { cursor?: string; limit?: number }): Promise<RecordingPage> {
    const limit = Math.max(1, Math.min(500, f.limit ?? 50));
    const driver = FILTER_INDEXES.find(([field]) => f[field]);
    const key = driver ? this.idx(driver[1], f[driver[0]] as string) : this.idx('time');
    const cur = f.cursor ? decodeCursor(f.cursor) : undefined;
    let max = f.to ? f.to.getTime() : Number.POSITIVE_INFINITY;
    if (cur && cur.s < max) max = cur.s;
    const min = f.from ? f.from.getTime() : Number.NEGATIVE_INFINITY;
    const items: Recording[] = [];
    let offset = 0;
    const batch = Math.max(limit * 2, 50);
    for (;;) {
      const rows = await this.redis.zrevrangebyscore(key, fmt(max), fmt(min), 'WITHSCORES', 'LIMIT', offset, batch);
      if (rows.length === 0) return { items };
      offset += rows.length / 2;
      const ids: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        const id = rows[i];
        const s = Number(rows[i + 1]);
        if (cur && s === cur.s && id >= cur.id) continue;
        ids.push(id);
        scores.push(s);
      }
      const raws = ids.length ? await this.redis.mget(ids.map((id) => this.rec(id))) : [];
      for (let i = 0; i < ids.length; i++) {
        if (!raws[i]) continue;
        const r = recordingSchema.parse(JSON.parse(raws[i] as string));
        if (FILTER_INDEXES.some(([field]) => f[field] && r[field] !== f[field])) continue;
        items.push(r);
        if (items.length === limit) {
          return { items, nextCursor: encodeCursor({ s: scores[i], id: ids[i] }) };
        }
      }
      if (rows.length / 2 < batch) return { items };
    }
  }

  async markPending(p: PendingRecording): Promise<void> {
    await this.redis.hset(this.keys.k('rec:pending'), p.callId, JSON.stringify(p));
  }

  async clearPending(callId: string): Promise<void> {
    await this.redis.hdel(this.keys.k('rec:pending'), callId);
  }

  async listPending(): Promise<PendingRecording[]> {
    const all = await this.redis.hvals(this.keys.k('rec:pending'));
    return all.map((v) => JSON.parse(v) as PendingRecording);
  }

  /** Removes the file and every index entry. Returns false if the id is unknown. */
  async delete(id: string): Promise<boolean> {
    const r = await this.get(id);
    if (!r) {
      await this.redis.zrem(this.idx('expires'), id);
      return false;
    }
    await unlink(r.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    const m = this.redis.multi().del(this.rec(id));
    for (const k of this.indexKeys(r)) m.zrem(k, id);
    m.zrem(this.idx('expires'), id);
    await m.exec();
    return true;
  }

  /** Sets a campaign's retention (days) and re-dates the expiry of its existing recordings. */
  async setCampaignRetention(campaignId: string, days: number): Promise<void> {
    if (!(days >= 0)) throw new Error(`retention days must be >= 0 (got ${days})`);
    await this.redis.hset(this.keys.k('rec:retention'), campaignId, String(days));
    const rows = await this.redis.zrange(this.idx('campaign', campaignId), 0, -1, 'WITHSCORES');
    if (!rows.length) return;
    const m = this.redis.multi();
    for (let i = 0; i < rows.length; i += 2) m.zadd(this.idx('expires'), Number(rows[i + 1]) + days * DAY_MS, rows[i]);
    await m.exec();
  }

  /**
   * Deletes every recording (file + metadata + indexes) whose retention ended at `now`.
   * Meant for a BullMQ repeatable job; safe to run concurrently with itself (deletes are idempotent).
   */
  async enforceRetention(now: Date = new Date()): Promise<{ deleted: number; failed: number }> {
    let deleted = 0;
    let failed = 0;
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.idx('expires'), '-inf', String(now.getTime()), 'LIMIT', 0, 200);
      if (ids.length === 0) break;
      let progressed = false;
      for (const id of ids) {
        try {
          await this.delete(id);
          deleted++;
          progressed = true;
        } catch {
          failed++;
        }
      }
      if (!progressed) break;
    }
    return { deleted, failed };
  }
}

/** The retention sweep as a plain function (scheduler: `enforceRetention(store, new Date())`). */
export function enforceRetention(store: RecordingStore, now: Date = new Date()): Promise<{ deleted: number; failed: number }> {
  return store.enforceRetention(now);
}

const fmt = (n: number) => (n === Number.POSITIVE_INFINITY ? '+inf' : n === Number.NEGATIVE_INFINITY ? '-inf' : String(n));

function encodeCursor(c: { s: number; id: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export class BadCursorError extends Error {}

function decodeCursor(s: string): { s: number; id: string } {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString()) as { s: unknown; id: unknown };
    if (typeof c.s === 'number' && typeof c.id === 'string') return { s: c.s, id: c.id };
  } catch {
    /* fall through */
  }
  throw new BadCursorError('invalid cursor');
}
