import type { Logger } from 'pino';
import type { BridgeResult, BridgeTarget, CallChannel } from '../calls/call-channel.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AgentStateService, EventPublisher } from '../agents/agent-state.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import type { CallLedger } from './call-ledger.js';
import type { QueueLog } from './queue-log.js';
import type { QueueStatsService } from './queue-stats.js';
import type { QueueConfig } from './queue-schema.js';
import type { EnqueueOptions, QueueOutcome } from './queue-outcome.js';
import { QUEUE_PROMPTS, type CallbackSink, type CustomerLookup, type ForkingBridge, type QueuePromptResolver } from './ports.js';
import type { LocalCall } from './router.js';
import type { Lang } from '../media/prompt-catalog.js';

/** What a waiting caller needs from its QueueService. */
export interface CallerContext {
  ledger: CallLedger;
  agentState: AgentStateService;
  directory: AgentDirectory;
  queueLog: QueueLog;
  stats: QueueStatsService;
  bus: EventPublisher;
  prompts: QueuePromptResolver;
  customers?: CustomerLookup;
  callbacks?: CallbackSink;
  audit?: AuditLog;
  now: () => number;
  /** Ask the router for a pass over this queue. */
  route(queueId: string): void;
  /** Enqueue into an overflow queue. */
  enqueue(call: CallChannel, opts: EnqueueOptions, depth: number): Promise<QueueOutcome>;
  /** Agents go back to available after the queue's wrap-up time. */
  scheduleWrapUpEnd(agentId: string, callId: string, afterMs: number): void;
}

type Exit = { kind: 'abandon' } | { kind: 'exit-key'; key: string } | { kind: 'timeout' } | { kind: 'empty' };

const sec = (ms: number) => Math.round(ms / 1000);

/**
 * One caller in one queue on this instance: holds them with music, announces position, listens for the
 * exit key and the max-wait deadline, and rings the agents the router reserves, until the call ends.
 */
export class WaitingCaller implements LocalCall {
  readonly tried = new Set<string>();
  private state: 'waiting' | 'offering' | 'connected' | 'done' = 'waiting';
  private pendingExit: Exit | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private announcing = false;
  private screenPopCache?: Record<string, unknown>;
  private resolveDone!: (o: QueueOutcome) => void;
  readonly done: Promise<QueueOutcome>;
  private readonly onDtmf = (digit: string) => {
    if (this.state === 'waiting' && this.q.exitKey && digit === this.q.exitKey) void this.exit({ kind: 'exit-key', key: digit });
  };
  private readonly onHangup = () => {
    if (this.state === 'waiting') void this.exit({ kind: 'abandon' });
  };

  constructor(
    private readonly ctx: CallerContext,
    private readonly call: CallChannel,
    private readonly q: QueueConfig,
    private readonly opts: EnqueueOptions,
    readonly enqueuedAt: number,
    private readonly depth: number,
    private readonly log: Logger,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  origPosition = 0;

  get queueId(): string { return this.q.id; }

  /** Not admitted (nobody logged in and joinEmpty is off): run the overflow action. */
  async refused(): Promise<QueueOutcome> {
    this.state = 'done';
    return this.overflow('empty', 0);
  }

  private get priority(): number { return this.opts.priority ?? 0; }
  /** The language the caller chose in the IVR, for announcements. */
  private get lang(): Lang | undefined {
    const l = this.opts.vars?.lang;
    return l === 'en' || l === 'zh' ? l : undefined;
  }
  private waitMs(): number { return this.ctx.now() - this.enqueuedAt; }

  /** Starts holding the caller; the router is asked for a pass by the service. */
  start(): void {
    this.call.on('dtmf', this.onDtmf);
    this.call.once('hangup', this.onHangup);
    if (this.q.maxWaitSec > 0) {
      this.timers.push(setTimeout(() => void this.exit({ kind: 'timeout' }), this.q.maxWaitSec * 1000));
    }
    if (this.q.announceEverySec > 0) {
      this.timers.push(setInterval(() => void this.announce(), this.q.announceEverySec * 1000));
    }
    void this.hold();
    // the caller may have hung up while the call was being queued
    if (this.call.ended) void this.exit({ kind: 'abandon' });
  }

  queueEmptied(): void {
    void this.exit({ kind: 'empty' });
  }

  offer(agents: { agentId: string; availableSince: number }[], mode: 'first' | 'all'): void {
    this.state = 'offering';
    this.runOffer(agents, mode).catch(async (err) => {
      this.log.error({ err }, 'offer failed');
      // do not leave agents stuck with a call this instance no longer handles
      for (const a of agents) {
        await this.ctx.agentState.tryTransition(a.agentId, 'available', { from: ['reserved', 'on-call'], callId: this.call.callId }).catch(() => undefined);
      }
      await this.ctx.ledger.finish(this.q.id, this.call.callId).catch(() => undefined);
      this.finish({ outcome: 'error', queueId: this.q.id, reason: 'internal' });
    });
  }

  // ---- waiting ----

  private async hold(): Promise<void> {
    try {
      await this.call.startHold(this.ctx.prompts.file(this.q.musicOnHold, this.lang));
    } catch (err) {
      this.log.warn({ err }, 'music on hold failed');
    }
  }

  private async announce(): Promise<void> {
    if (this.state !== 'waiting' || this.announcing || this.call.ended) return;
    this.announcing = true;
    try {
      const pos = await this.ctx.ledger.position(this.q.id, this.call.callId);
      if (!pos || this.state !== 'waiting') return;
      const p = this.ctx.prompts;
      const l = this.lang;
      const files = [p.file(QUEUE_PROMPTS.youAreNumber, l), ...p.sayNumber(pos, l), p.file(QUEUE_PROMPTS.inLine, l)];
      if (this.q.announceEstimatedWait) {
        const avg = await this.ctx.stats.averageAnswerMs(this.q.id);
        if (avg !== null) {
          const minutes = Math.round((avg * pos) / 60_000);
          files.push(p.file(QUEUE_PROMPTS.estimatedWait, l), ...(minutes < 1 ? [p.file(QUEUE_PROMPTS.lessThanAMinute, l)] : [...p.sayNumber(minutes, l), p.file(QUEUE_PROMPTS.minutes, l)]));
        }
      }
      await this.call.stopHold();
      if (this.state !== 'waiting') return;
      await this.call.play(files, { bargeIn: true });
      if (this.state === 'waiting' && !this.call.ended) await this.hold();
    } catch (err) {
      this.log.warn({ err }, 'announcement failed');
    } finally {
      this.announcing = false;
    }
  }

  /** Leaves the queue (only if no agent was reserved meanwhile; otherwise the offer's end decides). */
  private async exit(e: Exit): Promise<void> {
    if (this.state === 'done') return;
    if (this.state !== 'waiting') {
      if (e.kind !== 'abandon' && !this.pendingExit) this.pendingExit = e;
      return;
    }
    const position = (await this.ctx.ledger.position(this.q.id, this.call.callId)) ?? 0;
    if (!(await this.ctx.ledger.leave(this.q.id, this.call.callId))) {
      if (e.kind !== 'abandon' && !this.pendingExit) this.pendingExit = e;
      return;
    }
    await this.exited(e, position);
  }

  /** The call is out of the waiting list: log, count, and run the overflow action where one applies. */
  private async exited(e: Exit, position: number): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    this.stopTimers();
    const waitMs = this.waitMs();
    const base = { callid: this.call.callId, queuename: this.q.id };
    await this.ctx.ledger.finish(this.q.id, this.call.callId);
    switch (e.kind) {
      case 'abandon':
        await this.ctx.queueLog.write({ ...base, event: 'ABANDON', data: [position, this.origPosition, sec(waitMs)] });
        await this.ctx.stats.bump(this.q.id, { abandoned: 1 });
        return this.finish({ outcome: 'abandoned', queueId: this.q.id, waitMs });
      case 'exit-key': {
        await this.ctx.queueLog.write({ ...base, event: 'EXITWITHKEY', data: [e.key, position, this.origPosition, sec(waitMs)] });
        await this.ctx.stats.bump(this.q.id, { exitedWithKey: 1 });
        await this.call.stopHold().catch(() => undefined);
        const callbackRequested = await this.requestCallback('exit-key');
        if (callbackRequested) await this.call.play([this.ctx.prompts.file(QUEUE_PROMPTS.callbackConfirmed, this.lang)]).catch(() => undefined);
        return this.finish({ outcome: 'exit-key', queueId: this.q.id, key: e.key, callbackRequested, waitMs });
      }
      case 'timeout':
        await this.ctx.queueLog.write({ ...base, event: 'EXITWITHTIMEOUT', data: [position, this.origPosition, sec(waitMs)] });
        await this.ctx.stats.bump(this.q.id, { timedOut: 1 });
        return this.finish(await this.overflow('timeout', waitMs));
      case 'empty':
        await this.ctx.queueLog.write({ ...base, event: 'EXITEMPTY', data: [position, this.origPosition, sec(waitMs)] });
        return this.finish(await this.overflow('empty', waitMs));
    }
  }

  private async requestCallback(reason: 'exit-key' | 'overflow'): Promise<boolean> {
    if (!this.ctx.callbacks) return false;
    await this.ctx.callbacks.requestCallback({
      queueId: this.q.id, callId: this.call.callId, phone: this.call.remoteNumber, reason,
      ...(this.opts.leadId ? { leadId: this.opts.leadId } : {}), ...(this.opts.vars ? { vars: this.opts.vars } : {}),
    });
    return true;
  }

  private async overflow(kind: 'timeout' | 'empty', waitMs: number): Promise<QueueOutcome> {
    try {
      return await this.runOverflow(kind, waitMs);
    } catch (err) {
      // a missing prompt or a media error: the IVR still gets the caller back
      this.log.error({ err }, 'overflow action failed');
      return { outcome: kind, queueId: this.q.id, waitMs, action: 'none' };
    }
  }

  private async runOverflow(kind: 'timeout' | 'empty', waitMs: number): Promise<QueueOutcome> {
    const base = { outcome: kind, queueId: this.q.id, waitMs } as const;
    const a = this.q.overflow;
    if (this.call.ended) return { ...base, action: 'none' };
    await this.call.stopHold().catch(() => undefined);
    if (!a) return { ...base, action: 'none' };
    switch (a.type) {
      case 'queue': {
        if (this.depth >= 3 || a.queueId === this.q.id) return { outcome: 'error', queueId: this.q.id, reason: 'overflow-loop' };
        const next = await this.ctx.enqueue(this.call, { ...this.opts, queueId: a.queueId }, this.depth + 1);
        return { ...base, action: 'queue', next };
      }
      case 'message':
        await this.call.play([this.ctx.prompts.file(a.prompt, this.lang)]);
        return { ...base, action: 'message' };
      case 'callback': {
        await this.call.play([this.ctx.prompts.file(QUEUE_PROMPTS.callbackOffer, this.lang)], { bargeIn: true });
        const r = await this.call.collectDigits({ max: 1, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000 });
        const accepted = r.digits === a.acceptKey && (await this.requestCallback('overflow'));
        if (accepted) await this.call.play([this.ctx.prompts.file(QUEUE_PROMPTS.callbackConfirmed, this.lang)]);
        return { ...base, action: 'callback', callbackRequested: accepted };
      }
      case 'hangup':
        await this.call.hangup();
        return { ...base, action: 'hangup' };
    }
  }

  // ---- offering ----

  private async screenPop(): Promise<Record<string, unknown>> {
    if (!this.screenPopCache) {
      const customer = this.ctx.customers
        ? await this.ctx.customers.find({ phone: this.call.remoteNumber, ...(this.opts.leadId ? { leadId: this.opts.leadId } : {}) }).catch(() => null)
        : null;
      this.screenPopCache = {
        callId: this.call.callId, queueId: this.q.id, queueName: this.q.name, callerNumber: this.call.remoteNumber,
        dialled: this.call.localNumber, priority: this.priority, leadId: this.opts.leadId ?? null,
        customer, vars: this.opts.vars ?? {}, digits: this.opts.digits ?? '', enqueuedAt: new Date(this.enqueuedAt).toISOString(),
      };
    }
    return { ...this.screenPopCache, waitSec: sec(this.waitMs()) };
  }

  private async agentEvent(agentId: string, type: 'offer' | 'answer' | 'end', extra: Record<string, unknown> = {}): Promise<void> {
    await this.ctx.bus.publish(`agent:${agentId}`, { type, agentId, callId: this.call.callId, queueId: this.q.id, queues: [this.q.id], ...extra });
  }

  private async runOffer(reserved: { agentId: string; availableSince: number }[], mode: 'first' | 'all'): Promise<void> {
    const now = this.ctx.now();
    // the phone should ring as soon as possible: events go out while the INVITE is sent
    const reservedEvents = Promise.all(reserved.map((r) => this.ctx.agentState.announceReserved(r.agentId, r.availableSince, now, this.call.callId, this.q.id)));
    const targets: { agentId: string; uri: string }[] = [];
    for (const r of reserved) {
      const uri = await this.ctx.directory.contactFor(r.agentId);
      if (uri) targets.push({ agentId: r.agentId, uri });
      else {
        // available but no softphone registered: take them out of rotation instead of ringing nothing
        this.tried.add(r.agentId);
        await this.ctx.queueLog.write({ callid: this.call.callId, queuename: this.q.id, agent: r.agentId, event: 'RINGNOANSWER', data: [0] });
        await this.ctx.agentState.tryTransition(r.agentId, 'paused', { from: ['reserved'], callId: this.call.callId, reason: 'not-registered' });
      }
    }
    if (!targets.length) {
      await reservedEvents;
      return this.afterFailedOffer(false);
    }

    const offers = (async () => {
      await reservedEvents;
      const pop = await this.screenPop();
      await Promise.all(targets.map((t) => this.agentEvent(t.agentId, 'offer', { screenPop: pop, ringTimeoutSec: this.q.ringTimeoutSec })));
      if (targets.length === 1 && this.opts.leadId && this.ctx.audit && pop.customer) {
        await this.ctx.audit.record({ sub: targets[0].agentId, role: 'agent', agentId: targets[0].agentId }, 'lead.screen-pop', this.opts.leadId, { callId: this.call.callId });
      }
    })().catch((err) => this.log.warn({ err }, 'offer events failed'));

    const ringStart = this.ctx.now();
    // watch from before the bridge: the agent may hang up before the bookkeeping below has run
    const endWatch = watchEnd(this.call);
    const { result, winner, missed } = await this.ring(targets, mode);
    const ringMs = this.ctx.now() - ringStart;
    // answer/end events must follow the offer event
    await offers;
    const losers = targets.filter((t) => t.agentId !== winner?.agentId);

    if (result.outcome === 'bridged' && winner) {
      for (const t of losers) {
        await this.ctx.agentState.tryTransition(t.agentId, 'available', { from: ['reserved'], callId: this.call.callId });
        await this.agentEvent(t.agentId, 'end', { reason: 'answered-elsewhere' });
      }
      return this.connected(winner.agentId, result.legCallId, ringMs, endWatch.ended);
    }
    endWatch.stop();

    const callerGone = result.outcome === 'caller-gone' || this.call.ended;
    for (const t of targets) {
      const didMiss = !callerGone && missed.has(t.agentId);
      if (didMiss) {
        this.tried.add(t.agentId);
        await this.ctx.queueLog.write({ callid: this.call.callId, queuename: this.q.id, agent: t.agentId, event: 'RINGNOANSWER', data: [ringMs] });
      }
      await this.releaseAgent(t.agentId, didMiss);
      await this.agentEvent(t.agentId, 'end', { reason: callerGone ? 'caller-gone' : 'missed' });
    }
    return this.afterFailedOffer(callerGone);
  }

  /** Rings one target, or several (ring-all) at once when call control can fork, else one after another. */
  private async ring(targets: { agentId: string; uri: string }[], mode: 'first' | 'all'): Promise<{ result: BridgeResult; winner?: { agentId: string }; missed: Set<string> }> {
    const toTarget = (t: { agentId: string; uri: string }): BridgeTarget => ({
      uri: t.uri, ringTimeoutMs: this.q.ringTimeoutSec * 1000, callerId: this.call.remoteNumber,
      headers: { 'X-Call-Id': this.call.callId, 'X-Queue': this.q.id, 'X-Agent': t.agentId },
    });
    const forking = this.call as Partial<ForkingBridge> & CallChannel;
    if (mode === 'all' && targets.length > 1 && typeof forking.bridgeAny === 'function') {
      const r = await forking.bridgeAny(targets.map(toTarget));
      const winner = r.outcome === 'bridged' ? targets[r.index ?? 0] : undefined;
      return { result: r, winner, missed: new Set(targets.map((t) => t.agentId)) };
    }
    const missed = new Set<string>();
    let last: BridgeResult = { outcome: 'failed' };
    for (const t of targets) {
      last = await this.call.bridge(toTarget(t));
      if (last.outcome === 'bridged') return { result: last, winner: t, missed };
      if (last.outcome === 'caller-gone' || this.call.ended) break;
      missed.add(t.agentId);
    }
    return { result: last, missed };
  }

  /** Back from reserved: available, or paused after too many unanswered offers in a row. */
  private async releaseAgent(agentId: string, missed: boolean): Promise<void> {
    if (!missed) {
      await this.ctx.agentState.tryTransition(agentId, 'available', { from: ['reserved'], callId: this.call.callId });
      return;
    }
    const st = await this.ctx.agentState.get(agentId);
    const pause = this.q.autoPauseAfter > 0 && st.unanswered + 1 >= this.q.autoPauseAfter;
    await this.ctx.agentState.tryTransition(agentId, pause ? 'paused' : 'available', {
      from: ['reserved'], callId: this.call.callId, unanswered: 'incr', ...(pause ? { reason: 'auto-unanswered' } : {}),
    });
  }

  private async afterFailedOffer(callerGone: boolean): Promise<void> {
    if (callerGone) return this.exited({ kind: 'abandon' }, 0);
    if (this.pendingExit) {
      const e = this.pendingExit;
      this.pendingExit = null;
      return this.exited(e, 0);
    }
    this.state = 'waiting';
    await this.ctx.ledger.requeue({ callId: this.call.callId, queueId: this.q.id, priority: this.priority, enqueuedAt: this.enqueuedAt });
    this.ctx.route(this.q.id);
  }

  // ---- connected ----

  private async connected(agentId: string, legCallId: string, ringMs: number, ended: Promise<'agent' | 'caller'>): Promise<void> {
    this.state = 'connected';
    this.stopTimers();
    const answeredAt = this.ctx.now();
    const waitMs = answeredAt - this.enqueuedAt;
    const callId = this.call.callId;
    const onHold = (leg?: string) => { if (leg === 'peer') void this.ctx.agentState.holdChanged(agentId, true).catch(() => undefined); };
    const onUnhold = (leg?: string) => { if (leg === 'peer') void this.ctx.agentState.holdChanged(agentId, false).catch(() => undefined); };
    this.call.on('hold', onHold);
    this.call.on('unhold', onUnhold);

    await this.ctx.agentState.tryTransition(agentId, 'on-call', { from: ['reserved'], callId, unanswered: 'reset' });
    await this.ctx.ledger.finish(this.q.id, callId, 'connected');
    await this.ctx.queueLog.write({ callid: callId, queuename: this.q.id, agent: agentId, event: 'CONNECT', data: [sec(waitMs), legCallId, sec(ringMs)] });
    await this.ctx.stats.bump(this.q.id, { answered: 1, answerWaitMs: waitMs, answeredWithinSl: waitMs <= this.q.serviceLevelSec * 1000 ? 1 : 0 });
    await this.agentEvent(agentId, 'answer', { screenPop: await this.screenPop(), legCallId });
    this.log.info({ agentId, legCallId, waitMs }, 'caller connected to agent');

    const by = await ended;
    this.call.off('hold', onHold);
    this.call.off('unhold', onUnhold);
    const talkMs = this.ctx.now() - answeredAt;
    await this.ctx.queueLog.write({ callid: callId, queuename: this.q.id, agent: agentId, event: by === 'agent' ? 'COMPLETEAGENT' : 'COMPLETECALLER', data: [sec(waitMs), sec(talkMs), this.origPosition] });
    await this.ctx.stats.bump(this.q.id, { talkMs });
    if (this.q.wrapUpSec > 0) {
      await this.ctx.agentState.tryTransition(agentId, 'wrap-up', { from: ['on-call'], callId });
      this.ctx.scheduleWrapUpEnd(agentId, callId, this.q.wrapUpSec * 1000);
    } else {
      await this.ctx.agentState.tryTransition(agentId, 'available', { from: ['on-call'], callId });
    }
    await this.agentEvent(agentId, 'end', { reason: by === 'agent' ? 'agent-hangup' : 'caller-hangup', talkSec: sec(talkMs) });
    await this.ctx.ledger.finish(this.q.id, callId);
    this.state = 'done';
    this.finish({ outcome: 'completed', queueId: this.q.id, agentId, by, waitMs, talkMs });
  }

  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }

  private finish(o: QueueOutcome): void {
    this.state = 'done';
    this.stopTimers();
    this.call.off('dtmf', this.onDtmf);
    this.call.off('hangup', this.onHangup);
    this.resolveDone(o);
  }
}

/**
 * Who ended a bridged call. SipCall emits 'unbridged' while the call is still up when the agent hangs up,
 * and ends the call first when the caller does.
 */
function watchEnd(call: CallChannel): { ended: Promise<'agent' | 'caller'>; stop(): void } {
  let onUnbridged = () => {};
  let onHangup = () => {};
  const ended = new Promise<'agent' | 'caller'>((resolve) => {
    onUnbridged = () => resolve(call.ended ? 'caller' : 'agent');
    onHangup = () => resolve('caller');
    call.once('unbridged', onUnbridged);
    call.once('hangup', onHangup);
  });
  const stop = () => {
    call.off('unbridged', onUnbridged);
    call.off('hangup', onHangup);
  };
  void ended.then(stop);
  return { ended, stop };
}
