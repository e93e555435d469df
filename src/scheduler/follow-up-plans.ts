import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';
import type { CallbackService } from './callback-service.js';

export const followUpStepSchema = z.object({
  /** Offset from the plan's start, e.g. 2 days then 1 week. */
  afterMs: z.number().int().min(60_000).max(366 * 24 * 3600_000),
  note: z.string().max(500).optional(),
});

export const followUpPlanSchema = z.object({
  id: z.string(),
  leadId: z.string(),
  phone: z.string(),
  ownerAgentId: z.string().optional(),
  campaignId: z.string().optional(),
  status: z.enum(['active', 'completed', 'cancelled']),
  steps: z.array(followUpStepSchema.extend({ callbackId: z.string(), dueAt: z.number() })),
  createdBy: z.string(),
  createdAt: z.number(),
  closedAt: z.number().optional(),
  closeReason: z.string().optional(),
});
export type FollowUpPlan = z.infer<typeof followUpPlanSchema>;

export interface CreatePlanInput {
  leadId: string;
  phone: string;
  timezone?: string;
  ownerAgentId?: string;
  ownerOnly?: boolean;
  campaignId?: string;
  queueId?: string;
  steps: z.infer<typeof followUpStepSchema>[];
  createdBy: string;
  idempotencyKey?: string;
}

/**
 * Follow-up plans (seeds 002 §6: a follow-up plan after each sales call): each step is a callback at
 * plan start + offset. Completing or closing the lead cancels the steps not yet done.
 */
export class FollowUpPlans {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly callbacks: CallbackService, private readonly now: () => number = Date.now) {}

  private key(id: string): string {
    return this.keys.k('sched', 'plan', id);
  }
  private leadKey(leadId: string): string {
    return this.keys.k('sched', 'plans', 'lead', leadId);
  }

  async create(input: CreatePlanInput): Promise<{ plan: FollowUpPlan; created: boolean }> {
    const id = input.idempotencyKey ? `plan-${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 24)}` : `plan-${randomUUID()}`;
    const existing = await this.get(id);
    if (existing) return { plan: existing, created: false };
    const start = this.now();
    const steps: FollowUpPlan['steps'] = [];
    for (const [i, s] of input.steps.entries()) {
      // Each step's callback has its own deterministic key: a retried create makes no extra callbacks.
      const { callback } = await this.callbacks.create({
        phone: input.phone, leadId: input.leadId, dueAt: start + s.afterMs, source: 'follow-up', createdBy: input.createdBy, planId: id,
        idempotencyKey: `plan:${id}:${i}`, ownerOnly: input.ownerOnly ?? false,
        ...(input.timezone ? { timezone: input.timezone } : {}), ...(input.ownerAgentId ? { ownerAgentId: input.ownerAgentId } : {}),
        ...(input.campaignId ? { campaignId: input.campaignId } : {}), ...(input.queueId ? { queueId: input.queueId } : {}),
        ...(s.note ? { note: s.note } : {}),
      });
      steps.push({ ...s, callbackId: callback.id, dueAt: callback.dueAt });
    }
    const plan: FollowUpPlan = {
      id, leadId: input.leadId, phone: steps.length ? (await this.callbacks.get(steps[0].callbackId))?.phone ?? input.phone : input.phone,
      status: 'active', steps, createdBy: input.createdBy, createdAt: start,
      ...(input.ownerAgentId ? { ownerAgentId: input.ownerAgentId } : {}), ...(input.campaignId ? { campaignId: input.campaignId } : {}),
    };
    const ok = await this.redis.set(this.key(id), JSON.stringify(plan), 'NX');
    await this.redis.sadd(this.leadKey(input.leadId), id);
    if (!ok) return { plan: (await this.get(id)) ?? plan, created: false };
    return { plan, created: true };
  }

  async get(id: string): Promise<FollowUpPlan | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? followUpPlanSchema.parse(JSON.parse(raw)) : null;
  }

  async listForLead(leadId: string): Promise<FollowUpPlan[]> {
    const ids = await this.redis.smembers(this.leadKey(leadId));
    const plans = await Promise.all(ids.map((id) => this.get(id)));
    return plans.filter((p): p is FollowUpPlan => !!p).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Lead completed (sale) or closed (lost): the rest of every plan and every open callback of the lead are cancelled. */
  async closeLead(leadId: string, outcome: 'completed' | 'closed', by: string): Promise<{ plans: string[]; cancelledCallbacks: string[] }> {
    const plans = (await this.listForLead(leadId)).filter((p) => p.status === 'active');
    const at = this.now();
    for (const p of plans) {
      const closed: FollowUpPlan = { ...p, status: outcome === 'completed' ? 'completed' : 'cancelled', closedAt: at, closeReason: `lead ${outcome}` };
      await this.redis.set(this.key(p.id), JSON.stringify(closed));
    }
    const cancelledCallbacks = await this.callbacks.cancelForLead(leadId, by, `lead ${outcome}`);
    return { plans: plans.map((p) => p.id), cancelledCallbacks };
  }

  /** Cancels one plan's remaining steps. */
  async cancel(planId: string, by: string): Promise<FollowUpPlan | null> {
    const p = await this.get(planId);
    if (!p) return null;
    if (p.status !== 'active') return p;
    for (const s of p.steps) await this.callbacks.cancel(s.callbackId, by, 'plan cancelled');
    const closed: FollowUpPlan = { ...p, status: 'cancelled', closedAt: this.now(), closeReason: `cancelled by ${by}` };
    await this.redis.set(this.key(planId), JSON.stringify(closed));
    return closed;
  }
}
