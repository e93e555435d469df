import { createHash, randomUUID } from 'node:crypto';
import { HttpError } from '../api/error-handler.js';
import { isValidZone, normalizePhone, zoneForNumber } from '../leads/phone.js';
import type { Callback, CreateCallbackInput } from './callback-schema.js';
import type { CallbackListFilter, CallbackStore, StoredCallback } from './callback-store.js';
import type { EventPublisher } from './ports.js';

export interface CallbackServiceOptions {
  store: CallbackStore;
  /** Zone when neither the request nor the number tells (default 'Asia/Shanghai'). */
  defaultTimezone?: string;
  /** Country for numbers without + (default 'CN'). */
  defaultCountry?: string;
  now?: () => number;
  /** Changes go to the owner's feed (`agent:<id>`: callback.created / rescheduled / cancelled / done). */
  bus?: EventPublisher;
}

/** A callback request from the IVR (src/ivr/ports.ts CallbackRequest) or the queue (src/queue/ports.ts CallbackRequest). */
export interface ExternalCallbackRequest {
  phone: string;
  leadId?: string;
  queueId?: string;
  when?: Date;
  vars?: Record<string, string>;
  /** Queue requests carry the call id: one callback per call however often the request is retried. */
  callId?: string;
  reason?: string;
}

const MAX_CONFLICT_RETRIES = 5;

/** Create, reschedule, cancel, complete and list callbacks; satisfies the IVR's and the queue's callback sinks. */
export class CallbackService {
  private readonly now: () => number;

  constructor(private readonly o: CallbackServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  get store(): CallbackStore {
    return this.o.store;
  }

  static idFor(idempotencyKey: string | undefined): string {
    return idempotencyKey ? `cb-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}` : `cb-${randomUUID()}`;
  }

  private normalize(phone: string, timezone?: string): { phone: string; timezone: string } {
    const n = normalizePhone(phone, this.o.defaultCountry ?? 'CN');
    if (!n.ok) throw new HttpError(400, 'bad_request', n.reason);
    if (timezone) {
      if (!isValidZone(timezone)) throw new HttpError(400, 'bad_request', `unknown time zone ${timezone}`);
      return { phone: n.e164, timezone };
    }
    return { phone: n.e164, timezone: zoneForNumber(n.e164, n.country, this.o.defaultTimezone ?? 'Asia/Shanghai').zone };
  }

  /** Idempotent: the same idempotencyKey returns the callback created the first time. */
  async create(input: CreateCallbackInput): Promise<{ callback: Callback; created: boolean }> {
    const id = CallbackService.idFor(input.idempotencyKey);
    const existing = await this.o.store.get(id);
    if (existing) return { callback: existing.cb, created: false };
    const now = this.now();
    const { phone, timezone } = this.normalize(input.phone, input.timezone);
    if (input.ownerOnly && !input.ownerAgentId) throw new HttpError(400, 'bad_request', 'ownerOnly needs ownerAgentId');
    const dueAt = Math.max(input.dueAt ?? now, now);
    const cb: Callback = {
      id, phone, timezone, ownerOnly: input.ownerOnly ?? false, dueAt, requestedAt: dueAt, status: 'scheduled',
      source: input.source, createdBy: input.createdBy, createdAt: now, updatedAt: now, attempts: 0,
      history: [{ at: now, event: 'created', detail: `by ${input.createdBy} via ${input.source}` }],
      ...(input.leadId ? { leadId: input.leadId } : {}), ...(input.campaignId ? { campaignId: input.campaignId } : {}),
      ...(input.queueId ? { queueId: input.queueId } : {}), ...(input.ownerAgentId ? { ownerAgentId: input.ownerAgentId } : {}),
      ...(input.note ? { note: input.note } : {}), ...(input.planId ? { planId: input.planId } : {}),
    };
    const r = await this.o.store.write(`create.${id}`, null, cb, { schedule: true, now });
    if (r.result !== 'applied') {
      const again = await this.o.store.get(id);
      if (again) return { callback: again.cb, created: false };
      throw new HttpError(409, 'conflict', `callback ${id} could not be created`);
    }
    await this.announce('callback.created', cb);
    return { callback: cb, created: true };
  }

  async get(id: string): Promise<Callback | null> {
    return (await this.o.store.get(id))?.cb ?? null;
  }

  list(f: CallbackListFilter): Promise<Callback[]> {
    return this.o.store.list(f);
  }

  /** Moves a scheduled (or offered/failed) callback to a new time; the old jobs stop counting. */
  async reschedule(id: string, dueAt: number, by: string, changes: { ownerAgentId?: string; ownerOnly?: boolean; note?: string } = {}): Promise<Callback> {
    const now = this.now();
    if (dueAt < now - 1000) throw new HttpError(400, 'bad_request', 'dueAt is in the past');
    return this.mutate(id, (cb) => {
      if (cb.status === 'done' || cb.status === 'cancelled') throw new HttpError(409, 'conflict', `callback is ${cb.status}`);
      return {
        ...cb, ...changes, dueAt, requestedAt: dueAt, status: 'scheduled', attempts: 0, ownerWaitUntil: undefined, updatedAt: now,
        history: [...cb.history, { at: now, event: 'rescheduled', detail: `to ${new Date(dueAt).toISOString()} by ${by}` }],
      };
    }, true);
  }

  async cancel(id: string, by: string, reason = 'cancelled'): Promise<Callback> {
    const now = this.now();
    return this.mutate(id, (cb) => {
      if (cb.status === 'done' || cb.status === 'cancelled') return null;
      return { ...cb, status: 'cancelled', updatedAt: now, history: [...cb.history, { at: now, event: 'cancelled', detail: `${reason} (${by})` }] };
    }, false);
  }

  /** The agent (or the queue) finished the callback. */
  async complete(id: string, by: string, detail = 'completed'): Promise<Callback> {
    const now = this.now();
    return this.mutate(id, (cb) => {
      if (cb.status === 'done' || cb.status === 'cancelled') return null;
      return { ...cb, status: 'done', updatedAt: now, history: [...cb.history, { at: now, event: 'done', detail: `${detail} (${by})` }] };
    }, false);
  }

  /** Cancels every open callback of a lead (lead completed or closed). */
  async cancelForLead(leadId: string, by: string, reason: string): Promise<string[]> {
    const open = (await this.o.store.list({ leadId, limit: 10_000 })).filter((c) => c.status === 'scheduled' || c.status === 'offered');
    for (const c of open) await this.cancel(c.id, by, reason);
    return open.map((c) => c.id);
  }

  /**
   * An agent's "callback" disposition (src/leads DispositionService): owner-only or anyone. Keyed by the call
   * (or lead + time), so a re-submitted disposition does not book a second callback.
   */
  async fromDisposition(d: {
    leadId: string; phone: string; agentId: string; callbackAt: number; ownerOnly: boolean;
    timezone?: string; campaignId?: string; queueId?: string; callId?: string; note?: string;
  }): Promise<Callback> {
    const { callback } = await this.create({
      phone: d.phone, leadId: d.leadId, ownerAgentId: d.agentId, ownerOnly: d.ownerOnly, dueAt: d.callbackAt, source: 'agent', createdBy: d.agentId,
      ...(d.timezone ? { timezone: d.timezone } : {}), ...(d.campaignId ? { campaignId: d.campaignId } : {}),
      ...(d.queueId ? { queueId: d.queueId } : {}), ...(d.note ? { note: d.note } : {}),
      idempotencyKey: `disposition:${d.callId ?? `${d.leadId}:${d.callbackAt}`}`,
    });
    return callback;
  }

  /** For the IVR (request-callback task) and the queue (exit key / overflow). */
  async requestCallback(req: ExternalCallbackRequest): Promise<{ id: string; scheduledFor?: Date }> {
    const callId = req.callId ?? req.vars?.callId;
    const { callback } = await this.create({
      phone: req.phone, source: req.callId ? 'queue' : 'ivr', createdBy: req.callId ? 'queue' : 'ivr',
      ...(req.leadId ? { leadId: req.leadId } : {}), ...(req.queueId ? { queueId: req.queueId } : {}),
      ...(req.when ? { dueAt: req.when.getTime() } : {}),
      ...(req.reason ? { note: `caller asked (${req.reason})` } : {}),
      ...(callId ? { idempotencyKey: `call:${callId}` } : {}),
    });
    return { id: callback.id, scheduledFor: new Date(callback.dueAt) };
  }

  /** Feed events carry no phone number (agents' sockets must not see it unmasked). */
  private async announce(type: string, cb: Callback, previousOwner?: string): Promise<void> {
    if (!this.o.bus) return;
    const ev = { type, callbackId: cb.id, status: cb.status, dueAt: new Date(cb.dueAt).toISOString(), leadId: cb.leadId, ownerAgentId: cb.ownerAgentId, note: cb.note };
    const topics = [cb.ownerAgentId, previousOwner].filter((a): a is string => !!a).map((a) => `agent:${a}`);
    for (const t of topics) await this.o.bus.publish(t, ev).catch(() => undefined);
  }

  private async mutate(id: string, fn: (cb: Callback) => Callback | null, schedule: boolean): Promise<Callback> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const cur: StoredCallback | null = await this.o.store.get(id);
      if (!cur) throw new HttpError(404, 'not_found', `callback ${id} not found`);
      const next = fn(structuredClone(cur.cb));
      if (!next) return cur.cb;
      if (next.ownerWaitUntil === undefined) delete next.ownerWaitUntil;
      const r = await this.o.store.write(`api.${randomUUID()}`, cur, next, { schedule, now: this.now(), markerTtlSec: 3600 });
      if (r.result === 'applied') {
        const type = next.status === 'scheduled' ? 'callback.rescheduled' : `callback.${next.status}`;
        await this.announce(type, next, cur.cb.ownerAgentId !== next.ownerAgentId ? cur.cb.ownerAgentId : undefined);
        return next;
      }
    }
    throw new HttpError(409, 'conflict', `callback ${id} changed concurrently; try again`);
  }
}
