import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../redis.js';
import type { CallChannel } from '../calls/call-channel.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { BusListener } from '../events/bus.js';
import { callLogger } from '../logger.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import type { AgentStateService, AgentTransition, EventPublisher } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import { CallLedger } from './call-ledger.js';
import type { QueueLog } from './queue-log.js';
import type { QueueStatsService } from './queue-stats.js';
import type { QueueStore } from './queue-store.js';
import type { EnqueueOptions, QueueOutcome } from './queue-outcome.js';
import type { CallbackSink, CustomerLookup, OwnerLookup, QueuePromptResolver } from './ports.js';
import { QueueRouter } from './router.js';
import { WaitingCaller, type CallerContext } from './waiting-caller.js';

const HEARTBEAT_TTL_MS = 15_000;
const SWEEP_EVERY_MS = 30_000;

export interface QueueServiceOptions {
  redis: Redis;
  keys: Keys;
  /** Publishes events; with onEvent it also hears other instances' agent changes (the EventBus). */
  bus: EventPublisher & { onEvent?(l: BusListener): Promise<() => void> };
  agents: AgentStore;
  agentState: AgentStateService;
  directory: AgentDirectory;
  queues: QueueStore;
  /** Shared with the stats service; built here when omitted. */
  ledger?: CallLedger;
  queueLog: QueueLog;
  stats: QueueStatsService;
  prompts: QueuePromptResolver;
  owners?: OwnerLookup;
  customers?: CustomerLookup;
  callbacks?: CallbackSink;
  audit?: AuditLog;
  log: Logger;
  instanceId?: string;
  now?: () => number;
  random?: () => number;
  onDecision?: (ms: number) => void;
  onPass?: (ms: number) => void;
}

/**
 * ACD entry point for call-side code (the IVR's enqueue task): `enqueue(call, { queueId, ... })` holds the caller
 * until an agent takes the call or the caller leaves, and resolves with how it ended.
 * Routing is event-driven: a call arriving, an agent becoming available (on any instance, via the bus),
 * an unanswered offer or an owner-first deadline triggers a pass immediately.
 */
export class QueueService {
  readonly instanceId: string;
  readonly ledger: CallLedger;
  readonly router: QueueRouter;
  private readonly sessions = new Map<string, WaitingCaller>();
  private readonly wrapTimers = new Set<NodeJS.Timeout>();
  private readonly stoppers: (() => void)[] = [];
  /** Transitions this instance made and already routed for: their bus echo is skipped. */
  private readonly ownTransitions = new Set<string>();
  private readonly now: () => number;
  private readonly ctx: CallerContext;

  constructor(private readonly o: QueueServiceOptions) {
    this.instanceId = o.instanceId ?? randomUUID();
    this.now = o.now ?? Date.now;
    this.ledger = o.ledger ?? new CallLedger(o.redis, o.keys);
    this.router = new QueueRouter({
      ledger: this.ledger, agents: o.agents, agentState: o.agentState, queues: o.queues, log: o.log,
      localCall: (id) => this.sessions.get(id), random: o.random, now: this.now, onDecision: o.onDecision, onPass: o.onPass,
      instancesAlive: (ids) => this.instancesAlive(ids),
    });
    this.ctx = {
      ledger: this.ledger, agentState: o.agentState, directory: o.directory, queueLog: o.queueLog, stats: o.stats,
      bus: o.bus, prompts: o.prompts, customers: o.customers, callbacks: o.callbacks, audit: o.audit, now: this.now,
      route: (q) => void this.router.route(q),
      enqueue: (call, opts, depth) => this.enqueueAt(call, opts, depth),
      scheduleWrapUpEnd: (agentId, callId, ms) => this.scheduleWrapUpEnd(agentId, callId, ms),
    };
  }

  private instanceKey(id: string): string { return this.o.keys.k('acd-instance', id); }

  /** Instances refresh a heartbeat key; a call whose instance has none is orphaned. */
  private async instancesAlive(ids: string[]): Promise<Set<string>> {
    const vals = await this.o.redis.mget(...ids.map((id) => this.instanceKey(id)));
    return new Set(ids.filter((_, i) => vals[i] !== null));
  }

  private async heartbeat(): Promise<void> {
    await this.o.redis.set(this.instanceKey(this.instanceId), String(this.now()), 'PX', HEARTBEAT_TTL_MS);
  }

  /**
   * Agents left reserved, on a call or in wrap-up by an instance that died (its timers and call are gone)
   * go back to available. Only queue calls are considered: the ledger names the instance that held them.
   */
  async sweepStuckAgents(): Promise<string[]> {
    const ids = (await this.o.agents.list()).map((a) => a.id);
    const stuck = (await this.o.agentState.getMany(ids)).filter((s) => s.callId && (s.state === 'reserved' || s.state === 'on-call' || s.state === 'wrap-up'));
    if (!stuck.length) return [];
    const p = this.o.redis.pipeline();
    for (const s of stuck) p.hget(this.ledger.callKey(s.callId!), 'instance');
    const holders = ((await p.exec()) ?? []).map((r) => (r?.[1] as string | null) ?? null);
    const remote = [...new Set(holders.filter((h): h is string => !!h && h !== this.instanceId))];
    if (!remote.length) return [];
    const alive = await this.instancesAlive(remote);
    const freed: string[] = [];
    for (const [i, s] of stuck.entries()) {
      const h = holders[i];
      if (!h || h === this.instanceId || alive.has(h)) continue;
      const t = await this.o.agentState.tryTransition(s.agentId, 'available', { from: [s.state], callId: s.callId });
      if (!('error' in t)) {
        freed.push(s.agentId);
        this.o.log.warn({ agentId: s.agentId, callId: s.callId, instance: h, state: s.state }, 'freed an agent left busy by a stopped instance');
      }
    }
    return freed;
  }

  /** Listens for agent changes (local and, through the bus, on other instances). Call once at start-up. */
  async start(): Promise<void> {
    await this.heartbeat();
    const hb = setInterval(() => void this.heartbeat().catch((err) => this.o.log.warn({ err }, 'ACD heartbeat failed')), HEARTBEAT_TTL_MS / 3);
    hb.unref?.();
    this.stoppers.push(() => clearInterval(hb));
    await this.sweepStuckAgents().catch((err) => this.o.log.warn({ err }, 'stuck-agent sweep failed'));
    const sweep = setInterval(() => void this.sweepStuckAgents().catch((err) => this.o.log.warn({ err }, 'stuck-agent sweep failed')), SWEEP_EVERY_MS);
    sweep.unref?.();
    this.stoppers.push(() => clearInterval(sweep));
    this.stoppers.push(this.o.agentState.onTransition((t) => void this.onLocalTransition(t)));
    if (this.o.bus.onEvent) {
      const off = await this.o.bus.onEvent((_topic, ev) => {
        if (ev.type !== 'agent-state' || (ev.state !== 'available' && ev.state !== 'logged-out')) return;
        if (this.ownTransitions.delete(`${String(ev.agentId)}:${String(ev.atMs)}`)) return;
        this.routeWaiting();
      });
      this.stoppers.push(off);
    }
  }

  async close(): Promise<void> {
    for (const s of this.stoppers.splice(0)) s();
    await this.o.redis.del(this.instanceKey(this.instanceId)).catch(() => undefined);
    for (const t of this.wrapTimers) clearTimeout(t);
    this.wrapTimers.clear();
    this.router.close();
  }

  /** Calls waiting or talking through this instance. */
  get localCalls(): number {
    return this.sessions.size;
  }

  enqueue(call: CallChannel, opts: EnqueueOptions): Promise<QueueOutcome> {
    return this.enqueueAt(call, opts, 0);
  }

  /** Call control reports a transfer by the agent (logged as TRANSFER). */
  async reportTransfer(callId: string, queueId: string, agentId: string, target: string): Promise<void> {
    await this.o.queueLog.write({ callid: callId, queuename: queueId, agent: agentId, event: 'TRANSFER', data: [target] });
  }

  private async enqueueAt(call: CallChannel, opts: EnqueueOptions, depth: number): Promise<QueueOutcome> {
    const log = callLogger(this.o.log, call.callId, { queueId: opts.queueId });
    const q = await this.o.queues.get(opts.queueId);
    if (!q) {
      log.warn('enqueue into an unknown queue');
      return { outcome: 'error', queueId: opts.queueId, reason: 'unknown-queue' };
    }
    const enqueuedAt = this.now();
    const session = new WaitingCaller(this.ctx, call, q, opts, enqueuedAt, depth, log);
    if (call.ended) return { outcome: 'abandoned', queueId: q.id, waitMs: 0 };

    if (!q.joinEmpty) {
      const members = await this.o.agentState.getMany(await this.o.agents.members(q.id));
      if (!members.some((m) => m.state !== 'logged-out')) {
        log.info('nobody logged in: not joining');
        await this.o.queueLog.write({ callid: call.callId, queuename: q.id, event: 'EXITEMPTY', data: [0, 0, 0] });
        return session.refused();
      }
    }

    const ownerAgentId = q.strategy === 'owner-first' ? await this.ownerOf(call, opts) : null;
    this.sessions.set(call.callId, session);
    try {
      await this.ledger.add({
        callId: call.callId, queueId: q.id, instance: this.instanceId, priority: Math.max(0, Math.min(9, opts.priority ?? 0)),
        enqueuedAt, requiredSkills: opts.skills ?? {}, ownerAgentId, callerNumber: call.remoteNumber,
      });
      session.origPosition = (await this.ledger.position(q.id, call.callId)) ?? 0;
      await this.o.queueLog.write({ callid: call.callId, queuename: q.id, event: 'ENTERQUEUE', data: ['', call.remoteNumber, session.origPosition] });
      await this.o.stats.bump(q.id, { entered: 1 });
      log.info({ position: session.origPosition, ownerAgentId }, 'caller queued');
      session.start();
      void this.router.route(q.id);
      return await session.done;
    } finally {
      this.sessions.delete(call.callId);
    }
  }

  private async ownerOf(call: CallChannel, opts: EnqueueOptions): Promise<string | null> {
    if (!this.o.owners) return null;
    try {
      if (opts.leadId) return await this.o.owners.ownerOf(opts.leadId);
      return call.remoteNumber.startsWith('+') ? await this.o.owners.ownerOf(call.remoteNumber) : null;
    } catch (err) {
      this.o.log.warn({ err, callId: call.callId }, 'owner lookup failed; routing without owner');
      return null;
    }
  }

  /** A pass for every queue with a caller waiting on this instance. */
  private routeWaiting(): void {
    const queues = new Set<string>();
    for (const s of this.sessions.values()) queues.add(s.queueId);
    for (const q of queues) void this.router.route(q);
  }

  /** Agent-wide queue_log rows, written once by the instance that made the change; then route. */
  private async onLocalTransition(t: AgentTransition): Promise<void> {
    if (t.state === 'available' || t.state === 'logged-out') {
      // before the bus publishes this transition, so its echo is recognised
      this.ownTransitions.add(`${t.agentId}:${t.at}`);
      if (this.ownTransitions.size > 10_000) this.ownTransitions.clear();
      this.routeWaiting();
    }
    try {
      const row = { agent: t.agentId, at: t.at };
      if (t.prev === 'logged-out' && t.state !== 'logged-out') await this.o.queueLog.write({ ...row, event: 'AGENTLOGIN' });
      if (t.prev === 'paused' && t.state !== 'paused') await this.o.queueLog.write({ ...row, event: 'UNPAUSE' });
      if (t.state === 'paused' && t.prev !== 'paused') await this.o.queueLog.write({ ...row, event: 'PAUSE', data: [t.reason ?? ''] });
      if (t.state === 'logged-out' && t.prev !== 'logged-out') {
        await this.o.queueLog.write({ ...row, event: 'AGENTLOGOFF', data: ['', t.prevSince ? Math.round((t.at - t.prevSince) / 1000) : 0] });
      }
    } catch (err) {
      this.o.log.warn({ err, agentId: t.agentId }, 'queue_log write failed');
    }
  }

  private scheduleWrapUpEnd(agentId: string, callId: string, ms: number): void {
    const timer = setTimeout(() => {
      this.wrapTimers.delete(timer);
      void this.o.agentState.tryTransition(agentId, 'available', { from: ['wrap-up'], callId }).catch((err) => this.o.log.warn({ err, agentId }, 'wrap-up end failed'));
    }, ms);
    this.wrapTimers.add(timer);
  }
}
