import type { Logger } from '../logger.js';
import type { Callback } from './callback-schema.js';
import type { CallbackStore, StoredCallback } from './callback-store.js';
import type { EffectGuard } from './effect-guard.js';
import type { AgentAvailability, AnyAgentDispatch, CallbackOffer, DialDecision, DialGuard, EventPublisher, PreviewDialer } from './ports.js';

export interface CallbackRunnerOptions {
  store: CallbackStore;
  guard: EffectGuard;
  dialGuard: DialGuard;
  agents?: AgentAvailability;
  preview?: PreviewDialer;
  anyAgent?: AnyAgentDispatch;
  bus?: EventPublisher;
  log: Logger;
  /** How long an owner-only callback waits for its busy owner before any agent may take it (default 15 min). */
  ownerWaitMs?: number;
  /** How often the owner is checked again while waiting (default 60 s). */
  ownerRecheckMs?: number;
  /** Dial attempts when the customer does not answer (default 3). */
  maxAttempts?: number;
  /** Delay before attempt n+1 (last value repeats; default 15 min, 1 h). */
  retryBackoffMs?: number[];
  /** Scope of callbacks without a campaign, for DialGuard (DNC/windows); default 'callbacks'. */
  defaultScope?: string;
  now?: () => number;
}

export type CallbackJobResult = 'already-done' | 'stale' | 'deferred' | 'blocked' | 'offered' | 'connected' | 'waiting-owner' | 'queued' | 'retry' | 'failed' | 'announced';

/** What happens when a callback's job fires: compliance first, then the owner by preview, else any agent. */
export class CallbackRunner {
  private readonly now: () => number;

  constructor(private readonly o: CallbackRunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  static offerOf(cb: Callback): CallbackOffer {
    return {
      callbackId: cb.id, phone: cb.phone, dueAt: cb.dueAt,
      ...(cb.leadId ? { leadId: cb.leadId } : {}), ...(cb.campaignId ? { campaignId: cb.campaignId } : {}),
      ...(cb.queueId ? { queueId: cb.queueId } : {}), ...(cb.note ? { note: cb.note } : {}),
    };
  }

  /** "Callbacks due soon" in the owner's WebSocket feed. */
  async dueSoon(jobId: string, data: { callbackId: string; jobRef: string }): Promise<CallbackJobResult> {
    if (await this.o.guard.isDone(jobId)) return 'already-done';
    const cur = await this.o.store.get(data.callbackId);
    if (!cur || cur.jobId !== data.jobRef || cur.cb.status !== 'scheduled' || !cur.cb.ownerAgentId) {
      await this.o.guard.commit(jobId, []);
      return 'stale';
    }
    await this.publish(cur.cb, 'callback.due-soon');
    await this.o.guard.commit(jobId, []);
    return 'announced';
  }

  async due(jobId: string, data: { callbackId: string }): Promise<CallbackJobResult> {
    const { guard, store, log } = this.o;
    if (await guard.isDone(jobId)) return 'already-done';
    const cur = await store.get(data.callbackId);
    if (!cur || cur.jobId !== jobId || cur.cb.status !== 'scheduled') {
      await guard.commit(jobId, []);
      return 'stale';
    }
    const cb = structuredClone(cur.cb);
    const now = this.now();
    const target = { phone: cb.phone, timezone: cb.timezone, scopeId: cb.campaignId ?? this.o.defaultScope ?? 'callbacks', ...(cb.leadId ? { leadId: cb.leadId } : {}) };
    const d = await this.o.dialGuard.check(target, now);
    if (!d.allowed) {
      if (d.nextAllowedAt !== undefined && d.nextAllowedAt > now) {
        const next = this.event({ ...cb, dueAt: d.nextAllowedAt }, now, 'deferred', `${d.reason} until ${new Date(d.nextAllowedAt).toISOString()}`);
        return this.commit(jobId, cur, next, 'deferred', { schedule: true });
      }
      return this.commit(jobId, cur, this.event({ ...cb, status: 'blocked' }, now, 'blocked', d.reason), 'blocked');
    }

    // Once per due time, not again on every re-check while waiting for a busy owner.
    if (cb.ownerWaitUntil === undefined) await this.publish(cb, 'callback.due');
    const owner = cb.ownerAgentId;
    if (owner && this.o.agents && this.o.preview) {
      if (await this.o.agents.isAvailable(owner)) {
        const r = await this.offerToOwner(jobId, cur, cb, now, target, owner);
        if (r) return r;
        log.info({ callbackId: cb.id, agentId: owner }, 'owner did not take the callback preview');
      }
      if (cb.ownerOnly) {
        const waitUntil = cb.ownerWaitUntil ?? now + (this.o.ownerWaitMs ?? 15 * 60_000);
        if (now < waitUntil) {
          const next = this.event({ ...cb, ownerWaitUntil: waitUntil, dueAt: now + (this.o.ownerRecheckMs ?? 60_000) }, now, 'waiting-owner', owner);
          return this.commit(jobId, cur, next, 'waiting-owner', { schedule: true, quiet: true });
        }
      }
    }
    return this.dialAnyAgent(jobId, cur, cb, now, target);
  }

  /**
   * Preview to the owner. A dialer that dials the customer itself (agent first) reports the customer leg: connected ->
   * done; busy / no answer -> the same retry rules as the queue path. null = the owner did not take it.
   */
  private async offerToOwner(jobId: string, cur: StoredCallback, cb: Callback, now: number, target: Parameters<DialGuard['check']>[0], owner: string): Promise<CallbackJobResult | null> {
    const dialKey = `${jobId}.dial`;
    // Re-run after a crash mid-call: that call may have reached the customer, so nobody is rung again for this job.
    if (await this.o.guard.isDone(dialKey)) return this.attemptFailed(jobId, cur, cb, 'interrupted (restart during the call)');
    let denied: Extract<DialDecision, { allowed: false }> | undefined;
    let claimed: boolean | undefined;
    const r = await this.o.preview!.offerToAgent(owner, CallbackRunner.offerOf(cb), {
      beforeCustomerDial: async () => {
        // Count the attempt against the frequency caps right before dialling (not when the agent merely rang).
        const d = await this.o.dialGuard.check(target, this.now(), { consume: true });
        if (!d.allowed) {
          denied = d;
          return false;
        }
        claimed = (await this.o.guard.commit(dialKey, [])) === 'applied';
        return claimed;
      },
    });
    if (!r.accepted) return null;
    if (r.customer === undefined) return this.commit(jobId, cur, this.event({ ...cb, status: 'offered' }, now, 'offered', `to ${owner}`), 'offered');
    const after = this.now();
    if (denied) {
      const at = denied.nextAllowedAt ?? after + 60_000;
      return this.commit(jobId, cur, this.event({ ...cb, dueAt: at }, after, 'deferred', denied.reason), 'deferred', { schedule: true, quiet: true });
    }
    if (claimed === false) return this.attemptFailed(jobId, cur, cb, 'interrupted (restart during the call)');
    if (r.customer === 'not-dialled') return null;
    if (r.customer === 'connected') {
      const detail = `talked to the owner ${owner}${r.callId ? ` (call ${r.callId})` : ''}`;
      return this.commit(jobId, cur, this.event({ ...cb, attempts: cb.attempts + 1, status: 'done' }, after, 'done', detail), 'connected');
    }
    return this.attemptFailed(jobId, cur, cb, `owner dialled: customer ${r.customer}`);
  }

  private async dialAnyAgent(jobId: string, cur: StoredCallback, cb: Callback, now: number, target: Parameters<DialGuard['check']>[0]): Promise<CallbackJobResult> {
    if (!this.o.anyAgent) return this.commit(jobId, cur, this.event({ ...cb, status: 'failed' }, now, 'failed', 'no agent available and no queue dispatch configured'), 'failed');
    // Count the attempt against the frequency caps right before dialling.
    const d = await this.o.dialGuard.check(target, now, { consume: true });
    if (!d.allowed) {
      const at = d.nextAllowedAt ?? now + 60_000;
      return this.commit(jobId, cur, this.event({ ...cb, dueAt: at }, now, 'deferred', d.reason), 'deferred', { schedule: true, quiet: true });
    }
    // A call cannot be undone: claim the dial first, so a re-run after a crash mid-call does not dial again.
    const claim = await this.o.guard.commit(`${jobId}.dial`, []);
    const outcome = claim === 'applied' ? await this.o.anyAgent.queueForAnyAgent(CallbackRunner.offerOf(cb)) : ({ outcome: 'failed' } as const);
    const after = this.now();
    const attempts = cb.attempts + 1;
    if (outcome.outcome === 'queued' && outcome.queueOutcome === 'completed') {
      return this.commit(jobId, cur, this.event({ ...cb, attempts, status: 'done' }, after, 'done', 'talked to an agent from the queue'), 'queued');
    }
    const detail = outcome.outcome === 'queued' ? `queue ${outcome.queueOutcome}` : claim === 'applied' ? outcome.outcome : 'interrupted (restart during the call)';
    return this.attemptFailed(jobId, cur, cb, detail);
  }

  /** A dial attempt that did not reach anyone: retry with backoff, or failed after maxAttempts. */
  private async attemptFailed(jobId: string, cur: StoredCallback, cb: Callback, detail: string): Promise<CallbackJobResult> {
    const after = this.now();
    const attempts = cb.attempts + 1;
    if (attempts >= (this.o.maxAttempts ?? 3)) {
      return this.commit(jobId, cur, this.event({ ...cb, attempts, status: 'failed' }, after, 'failed', detail), 'failed');
    }
    const backoff = this.o.retryBackoffMs ?? [15 * 60_000, 60 * 60_000];
    const delay = backoff[Math.min(attempts - 1, backoff.length - 1)];
    return this.commit(jobId, cur, this.event({ ...cb, attempts, dueAt: after + delay }, after, 'retry', detail), 'retry', { schedule: true, quiet: true });
  }

  private event(cb: Callback, at: number, event: string, detail?: string): Callback {
    return { ...cb, updatedAt: at, history: [...cb.history, { at, event, ...(detail ? { detail } : {}) }] };
  }

  private async commit(jobId: string, cur: StoredCallback, next: Callback, result: CallbackJobResult, opts: { schedule?: boolean; quiet?: boolean } = {}): Promise<CallbackJobResult> {
    if (next.status !== 'scheduled') delete next.ownerWaitUntil;
    const r = await this.o.store.write(jobId, cur, next, { ...opts, now: this.now() });
    if (r.result === 'stale') return 'stale';
    if (r.result === 'already-done') return 'already-done';
    this.o.log.info({ callbackId: next.id, result, dueAt: new Date(next.dueAt).toISOString() }, 'callback job');
    return result;
  }

  private async publish(cb: Callback, type: 'callback.due-soon' | 'callback.due'): Promise<void> {
    if (!this.o.bus) return;
    const ev = { type, callbackId: cb.id, dueAt: new Date(cb.dueAt).toISOString(), leadId: cb.leadId, note: cb.note, ownerOnly: cb.ownerOnly };
    try {
      if (cb.ownerAgentId) await this.o.bus.publish(`agent:${cb.ownerAgentId}`, ev);
      else if (cb.queueId) await this.o.bus.publish(`queue:${cb.queueId}`, ev);
    } catch (err) {
      this.o.log.warn({ err, callbackId: cb.id }, 'callback event not published');
    }
  }
}
