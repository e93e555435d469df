import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { CallChannel, CollectOptions, CollectResult, PlayOptions, PromptFile, BridgeResult } from '../../src/calls/call-channel.js';
import type { EnqueueOptions, QueueOutcome } from '../../src/queue/queue-outcome.js';
import type {
  AgentAvailability, AnyAgentDispatch, AnyAgentOutcome, CallbackOffer, DialDecision, DialGuard, DialTarget,
  EventPublisher, OptOutSink, OriginateRequest, OriginateResult, Originator, PreviewDialer, QueueEntry,
} from '../../src/scheduler/ports.js';
import { createSchedulerServices, bullConnection, type SchedulerServices } from '../../src/scheduler/workers.js';
import { REDIS_URL, testRedis } from './redis.js';

export const silentLog = pino({ level: 'silent' });

/** Scheduler services on a private key prefix and a private BullMQ prefix; cleanup obliterates both. */
export function testScheduler(o: { dueSoonMs?: number } = {}): { s: SchedulerServices; r: ReturnType<typeof testRedis>; bullPrefix: string; cleanup(): Promise<void> } {
  const r = testRedis();
  const bullPrefix = `tbull-${randomUUID().slice(0, 8)}`;
  const s = createSchedulerServices({ redis: r.redis, keys: r.keys, connection: bullConnection(REDIS_URL), prefix: bullPrefix, ...(o.dueSoonMs ? { dueSoonMs: o.dueSoonMs } : {}) });
  return {
    s, r, bullPrefix,
    async cleanup() {
      await s.queue.queue.obliterate({ force: true }).catch(() => undefined);
      await s.close();
      await r.cleanup();
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A DialGuard whose answers the test scripts; records every check. */
export class FakeDialGuard implements DialGuard {
  checks: { target: DialTarget; now: number; consume: boolean }[] = [];
  answers: DialDecision[] = [];
  async check(target: DialTarget, now: number, opts: { consume?: boolean } = {}): Promise<DialDecision> {
    this.checks.push({ target, now, consume: opts.consume ?? false });
    return this.answers.shift() ?? { allowed: true };
  }
}

export class FakeAgents implements AgentAvailability {
  available = new Set<string>();
  async isAvailable(agentId: string): Promise<boolean> {
    return this.available.has(agentId);
  }
}

export class FakePreview implements PreviewDialer {
  offers: { agentId: string; cb: CallbackOffer }[] = [];
  accept = true;
  async offerToAgent(agentId: string, cb: CallbackOffer): Promise<{ accepted: boolean }> {
    this.offers.push({ agentId, cb });
    return { accepted: this.accept };
  }
}

export class FakeAnyAgent implements AnyAgentDispatch {
  calls: CallbackOffer[] = [];
  outcomes: AnyAgentOutcome[] = [];
  async queueForAnyAgent(cb: CallbackOffer): Promise<AnyAgentOutcome> {
    this.calls.push(cb);
    return this.outcomes.shift() ?? { outcome: 'queued', queueOutcome: 'completed' };
  }
}

export class FakeBus implements EventPublisher {
  events: { topic: string; event: { type: string; [k: string]: unknown } }[] = [];
  async publish(topic: string, event: { type: string; [k: string]: unknown }): Promise<void> {
    this.events.push({ topic, event });
  }
}

export class FakeOptOut implements OptOutSink {
  calls: { phone: string; scopeId: string }[] = [];
  async optOut(phone: string, scopeId: string): Promise<void> {
    this.calls.push({ phone, scopeId });
  }
}

export class FakeQueueEntry implements QueueEntry {
  entries: { callId: string; opts: EnqueueOptions }[] = [];
  async enqueue(call: CallChannel, opts: EnqueueOptions): Promise<QueueOutcome> {
    this.entries.push({ callId: call.callId, opts });
    return { outcome: 'completed', queueId: opts.queueId, agentId: 'a1', by: 'agent', waitMs: 10, talkMs: 1000 };
  }
}

/** What the far end does at each collectDigits: digits with a reason, or hang up. */
export type Keypress = { digits: string; reason?: CollectResult['reason'] } | 'hangup';

/** A CallChannel whose caller follows a script of keypresses; records what was played. */
export class ScriptedChannel extends EventEmitter implements CallChannel {
  readonly callId = `fake-${randomUUID().slice(0, 8)}`;
  readonly direction = 'outbound' as const;
  readonly localNumber = '+861000000000';
  ended = false;
  played: PromptFile[][] = [];
  collects: CollectOptions[] = [];
  hangups = 0;
  constructor(readonly remoteNumber: string, private readonly keys: Keypress[]) {
    super();
  }
  async play(files: PromptFile[], _opts?: PlayOptions): Promise<{ interrupted: boolean }> {
    if (this.ended) return { interrupted: false };
    this.played.push(files);
    return { interrupted: false };
  }
  async collectDigits(opts: CollectOptions): Promise<CollectResult> {
    this.collects.push(opts);
    if (this.ended) return { digits: '', reason: 'hangup' };
    const k = this.keys.shift() ?? { digits: '', reason: 'timeout' as const };
    if (k === 'hangup') {
      this.ended = true;
      this.emit('hangup', 'remote');
      return { digits: '', reason: 'hangup' };
    }
    return { digits: k.digits, reason: k.reason ?? (k.digits ? 'max' : 'timeout') };
  }
  async startHold(): Promise<void> {}
  async stopHold(): Promise<void> {}
  async bridge(): Promise<BridgeResult> {
    return { outcome: 'failed' };
  }
  async startRecording(): Promise<void> {}
  async pauseRecording(): Promise<void> {}
  async resumeRecording(): Promise<void> {}
  async hangup(): Promise<void> {
    this.hangups++;
    this.ended = true;
  }
}

/** An Originator that answers with scripted channels (or fails with a scripted outcome). */
export class FakeOriginator implements Originator {
  requests: OriginateRequest[] = [];
  script: (Keypress[] | Exclude<OriginateResult['outcome'], 'answered'>)[] = [];
  channels: ScriptedChannel[] = [];
  async originate(req: OriginateRequest): Promise<OriginateResult> {
    this.requests.push(req);
    const next = this.script.shift() ?? 'no-answer';
    if (typeof next === 'string') return { outcome: next };
    const ch = new ScriptedChannel(req.to, next);
    this.channels.push(ch);
    return { outcome: 'answered', call: ch };
  }
}
