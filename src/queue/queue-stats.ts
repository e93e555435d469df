import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';
import { dayOf } from '../agents/agent-time.js';
import { agentStateSchema, type AgentState } from '../agents/agent-schema.js';
import type { AgentStateService } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import type { CallLedger } from './call-ledger.js';
import type { QueueStore } from './queue-store.js';
import { LuaScript } from '../lua-script.js';

const countStatesLua = new LuaScript(new URL('./lua/count-agent-states.lua', import.meta.url));

export const queueStatsSchema = z.object({
  queueId: z.string(),
  day: z.string(),
  at: z.string(),
  /** Callers in the queue now (waiting or being offered). */
  waiting: z.number(),
  longestWaitSec: z.number(),
  entered: z.number(),
  answered: z.number(),
  abandoned: z.number(),
  timedOut: z.number(),
  exitedWithKey: z.number(),
  answeredWithinSl: z.number(),
  serviceLevelSec: z.number(),
  /** Answered within the threshold / answered, % (Asterisk's ServicelevelPerf); null before the first answer. */
  serviceLevelPct: z.number().nullable(),
  /** Average speed of answer, s. */
  asaSec: z.number().nullable(),
  /** Abandoned / (answered + abandoned), %. */
  abandonPct: z.number().nullable(),
  agents: z.record(agentStateSchema, z.number()),
});
export type QueueStats = z.infer<typeof queueStatsSchema>;

export type QueueCounter = 'entered' | 'answered' | 'abandoned' | 'timedOut' | 'exitedWithKey' | 'answeredWithinSl' | 'answerWaitMs' | 'talkMs';

/** Per-queue daily counters (Redis, shared by every instance) and the live figures a wallboard shows. */
export class QueueStatsService {
  constructor(
    private readonly o: { redis: Redis; keys: Keys; ledger: CallLedger; agents: AgentStore; agentState: AgentStateService; queues: QueueStore; now?: () => number },
  ) {}

  private now(): number { return (this.o.now ?? Date.now)(); }
  private key(queueId: string, day: string): string { return this.o.keys.k('qstats', queueId, day); }

  async bump(queueId: string, counters: Partial<Record<QueueCounter, number>>, at = this.now()): Promise<void> {
    const k = this.key(queueId, dayOf(at));
    const m = this.o.redis.multi();
    for (const [c, n] of Object.entries(counters)) if (n) m.hincrby(k, c, n);
    m.expire(k, 40 * 24 * 3600);
    await m.exec();
  }

  /** Average wait of answered calls today (ms), for estimated-wait announcements. */
  async averageAnswerMs(queueId: string): Promise<number | null> {
    const [answered, waitMs] = await this.o.redis.hmget(this.key(queueId, dayOf(this.now())), 'answered', 'answerWaitMs');
    const n = Number(answered ?? 0);
    return n > 0 ? Number(waitMs ?? 0) / n : null;
  }

  async stats(queueId: string, day = dayOf(this.now())): Promise<QueueStats> {
    const now = this.now();
    const [h, waiting, oldest, byState, q] = await Promise.all([
      this.o.redis.hgetall(this.key(queueId, day)),
      this.o.redis.zcard(this.o.ledger.sinceKey(queueId)),
      this.o.ledger.oldest(queueId),
      countStatesLua.run(this.o.redis, [this.o.agents.membersKey(queueId)], [this.o.agentState.stateKey('')]) as Promise<(string | number)[]>,
      this.o.queues.get(queueId),
    ]);
    const n = (k: QueueCounter) => Number(h[k] ?? 0);
    const agents = Object.fromEntries(agentStateSchema.options.map((s) => [s, 0])) as Record<AgentState, number>;
    for (let i = 0; i < byState.length; i += 2) {
      const st = agentStateSchema.safeParse(byState[i]);
      if (st.success) agents[st.data] += Number(byState[i + 1]);
    }
    const answered = n('answered');
    const abandoned = n('abandoned');
    const pct = (a: number, b: number) => (b > 0 ? Math.round((1000 * a) / b) / 10 : null);
    return {
      queueId,
      day,
      at: new Date(now).toISOString(),
      waiting,
      longestWaitSec: oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 100) / 10),
      entered: n('entered'),
      answered,
      abandoned,
      timedOut: n('timedOut'),
      exitedWithKey: n('exitedWithKey'),
      answeredWithinSl: n('answeredWithinSl'),
      serviceLevelSec: q?.serviceLevelSec ?? 20,
      serviceLevelPct: pct(n('answeredWithinSl'), answered),
      asaSec: answered > 0 ? Math.round(n('answerWaitMs') / answered / 100) / 10 : null,
      abandonPct: pct(abandoned, answered + abandoned),
      agents,
    };
  }
}
