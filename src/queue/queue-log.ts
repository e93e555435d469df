import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';
import type { EventPublisher } from '../agents/agent-state.js';

/** Asterisk queue_log event names we write. */
export const queueLogEventSchema = z.enum([
  'ENTERQUEUE', 'CONNECT', 'COMPLETEAGENT', 'COMPLETECALLER', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY',
  'EXITEMPTY', 'RINGNOANSWER', 'TRANSFER', 'AGENTLOGIN', 'AGENTLOGOFF', 'PAUSE', 'UNPAUSE',
]);
export type QueueLogEvent = z.infer<typeof queueLogEventSchema>;

/** One row, with the fields of Asterisk's queue_log (time, callid, queuename, agent, event, data1..data5). */
export const queueLogEntrySchema = z.object({
  id: z.string(),
  time: z.string(),
  callid: z.string(),
  queuename: z.string(),
  agent: z.string(),
  event: queueLogEventSchema,
  data1: z.string(),
  data2: z.string(),
  data3: z.string(),
  data4: z.string(),
  data5: z.string(),
});
export type QueueLogEntry = z.infer<typeof queueLogEntrySchema>;

export interface QueueLogWrite {
  callid?: string;
  queuename?: string;
  agent?: string;
  event: QueueLogEvent;
  data?: (string | number | undefined)[];
  /** ms; defaults to now. */
  at?: number;
}

export interface QueueLogQuery {
  queue?: string;
  agent?: string;
  event?: QueueLogEvent;
  /** ms, inclusive */
  from?: number;
  to?: number;
  limit?: number;
}

/**
 * The queue event log: a Redis stream whose ids are millisecond timestamps, so a time range is one XRANGE.
 * Each row is also published on the bus (queue:<q> for call events, agent:<a> for agent-wide ones).
 */
export class QueueLog {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly bus?: EventPublisher, private readonly maxLen = 1_000_000) {}

  private get key(): string { return this.keys.k('queue-log'); }

  async write(w: QueueLogWrite): Promise<QueueLogEntry> {
    const at = w.at ?? Date.now();
    const d = [0, 1, 2, 3, 4].map((i) => (w.data?.[i] === undefined ? '' : String(w.data[i])));
    const row = {
      time: new Date(at).toISOString(), callid: w.callid ?? 'NONE', queuename: w.queuename ?? 'NONE', agent: w.agent ?? 'NONE',
      event: w.event, data1: d[0], data2: d[1], data3: d[2], data4: d[3], data5: d[4],
    };
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', ...Object.entries(row).flat());
    const entry = { id: id ?? '', ...row };
    if (this.bus) {
      const topic = row.queuename !== 'NONE' ? `queue:${row.queuename}` : `agent:${row.agent}`;
      await this.bus.publish(topic, { type: 'queue-log', ...entry });
    }
    return entry;
  }

  /** Newest first, filtered; scans the time range in pages until `limit` rows match. */
  async query(q: QueueLogQuery): Promise<QueueLogEntry[]> {
    const limit = q.limit ?? 100;
    const out: QueueLogEntry[] = [];
    let end = q.to !== undefined ? String(q.to) : '+';
    const start = q.from !== undefined ? String(q.from) : '-';
    for (;;) {
      const page = await this.redis.xrevrange(this.key, end, start, 'COUNT', 500);
      for (const [id, f] of page) {
        const m: Record<string, string> = {};
        for (let i = 0; i < f.length; i += 2) m[f[i]] = f[i + 1];
        if (q.queue && m.queuename !== q.queue) continue;
        if (q.agent && m.agent !== q.agent) continue;
        if (q.event && m.event !== q.event) continue;
        out.push(queueLogEntrySchema.parse({ id, ...m }));
        if (out.length >= limit) return out;
      }
      if (page.length < 500) return out;
      end = `(${page[page.length - 1][0]}`;
    }
  }
}
