import type { AgentDirectory } from '../agents/agent-directory.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AgentStateService } from '../agents/agent-state.js';
import type { CallChannel } from '../calls/call-channel.js';
import type { Originator as CallsOriginator } from '../calls/originator.js';
import { callLogger, type Logger } from '../logger.js';
import type { CustomerLookup } from '../queue/ports.js';
import { maskEvent } from '../ws/mask.js';
import type { CallbackOffer, EventPublisher, OriginateResult, PreviewCustomerOutcome, PreviewDialer, PreviewHooks, PreviewResult } from './ports.js';

/** The two call-control operations agent-first dialling needs; src/calls Originator satisfies it as is. */
export type OwnerCallPlacer = Pick<CallsOriginator, 'trunkUriFor'> & {
  callContact(req: { uri: string; callerId: string; ringTimeoutMs?: number; headers?: Record<string, string> }): Promise<OriginateResult>;
};

export interface OwnerPreviewDialerOptions {
  agentState: Pick<AgentStateService, 'tryTransition'>;
  directory: Pick<AgentDirectory, 'contactFor'>;
  calls: OwnerCallPlacer;
  /** The offer goes out on `agent:<id>` (numbers masked here already: the topic is the agent's). */
  bus: EventPublisher;
  /** Customer record for the screen pop (src/queue/lead-customers.ts). */
  customers?: CustomerLookup;
  /** A customer record shown to an agent is a sensitive read: audit-logged like the ACD's screen pops. */
  audit?: Pick<AuditLog, 'record'>;
  /** Caller id presented to the customer. */
  callerId: string;
  /** Trunk URI template (`sip:{number}@host`) for callbacks; default: call control's trunk. */
  trunk?: string;
  /** Shown on the agent's phone for the preview leg (default: callerId). */
  agentCallerId?: string;
  log: Logger;
  /** The agent's phone rings this long before the offer counts as not taken (default 20 s). */
  agentRingTimeoutMs?: number;
  customerRingTimeoutMs?: number;
  /** Back to available this long after wrap-up starts; unset = the agent asks for it. */
  autoWrapMs?: number;
}

export const CALLBACK_OFFER_EVENT = 'callback.offer';
export const CALLBACK_OFFER_RESULT_EVENT = 'callback.offer-result';

/**
 * Preview dialling of a due callback, agent first (the customer stays with their rep):
 * 1. reserve the owner atomically (available -> reserved, the compare-and-set the ACD and the dialer use, so an
 *    agent never gets two calls);
 * 2. publish the offer with the screen pop (masked number) on `agent:<id>` and ring the owner's registered phone;
 *    no answer -> not accepted, the agent is available again (one more unanswered offer);
 * 3. the owner answers -> the customer is dialled through the trunk from the owner's leg; bridged -> on-call;
 *    hang-up -> wrap-up. Busy / no answer -> the owner's leg is released (available) and the runner's retry rules apply.
 */
export class OwnerPreviewDialer implements PreviewDialer {
  constructor(private readonly o: OwnerPreviewDialerOptions) {}

  async offerToAgent(agentId: string, cb: CallbackOffer, hooks: PreviewHooks = {}): Promise<PreviewResult> {
    const { agentState, bus } = this.o;
    const reason = `callback:${cb.callbackId}`;
    const reserved = await agentState.tryTransition(agentId, 'reserved', { from: ['available'], reason });
    if ('error' in reserved) return { accepted: false };
    const contact = await this.o.directory.contactFor(agentId).catch(() => null);
    if (!contact) {
      await agentState.tryTransition(agentId, 'available', { from: ['reserved'] }).catch(() => undefined);
      return { accepted: false };
    }
    const topic = `agent:${agentId}`;
    const tell = (type: string, extra: Record<string, unknown>) =>
      bus.publish(topic, maskEvent({ type, callbackId: cb.callbackId, ...extra }, 'agent')).catch((err: unknown) => this.o.log.warn({ err, agentId }, 'callback event not published'));

    const customer = this.o.customers ? await this.o.customers.find({ phone: cb.phone, ...(cb.leadId ? { leadId: cb.leadId } : {}) }).catch(() => null) : null;
    await tell(CALLBACK_OFFER_EVENT, {
      agentId, phone: cb.phone, dueAt: new Date(cb.dueAt).toISOString(), leadId: cb.leadId, campaignId: cb.campaignId, note: cb.note,
      ...(customer ? { customer } : {}),
    });
    if (customer && cb.leadId && this.o.audit) {
      await this.o.audit.record({ sub: agentId, role: 'agent', agentId }, 'lead.screen-pop', cb.leadId, { callbackId: cb.callbackId })
        .catch((err: unknown) => this.o.log.warn({ err, agentId }, 'screen-pop audit failed'));
    }

    const headers: Record<string, string> = { 'X-Callback-Id': cb.callbackId, ...(cb.leadId ? { 'X-Lead-Id': cb.leadId } : {}) };
    const agentLeg = await this.o.calls.callContact({
      uri: contact, callerId: this.o.agentCallerId ?? this.o.callerId, ringTimeoutMs: this.o.agentRingTimeoutMs ?? 20_000, headers,
    }).catch((err: unknown): OriginateResult => {
      this.o.log.warn({ err, agentId }, 'callback: ringing the owner failed');
      return { outcome: 'failed' };
    });
    if (agentLeg.outcome !== 'answered') {
      await agentState.tryTransition(agentId, 'available', { from: ['reserved'], unanswered: 'incr' }).catch(() => undefined);
      await tell(CALLBACK_OFFER_RESULT_EVENT, { outcome: `agent-${agentLeg.outcome}` });
      this.o.log.info({ agentId, callbackId: cb.callbackId, outcome: agentLeg.outcome }, 'callback: owner did not answer the preview');
      return { accepted: false };
    }
    const call = agentLeg.call;
    const log = callLogger(this.o.log, call.callId, { callbackId: cb.callbackId, agentId });

    // The owner stays reserved while the customer rings (ring time, not talk time, and no call counted yet).
    const outcome = await this.dialCustomer(call, cb, headers, hooks, log).catch((err: unknown): PreviewCustomerOutcome => {
      log.error({ err }, 'callback: dialling the customer failed');
      return 'failed';
    });
    await tell(CALLBACK_OFFER_RESULT_EVENT, { outcome, callId: call.callId });
    if (outcome === 'connected') {
      await agentState.tryTransition(agentId, 'on-call', { from: ['reserved'], callId: call.callId, reason }).catch((err: unknown) => log.warn({ err }, 'agent state on-call failed'));
      call.once('hangup', () => void this.afterCall(agentId, call.callId, log));
      if (call.ended) void this.afterCall(agentId, call.callId, log);
      log.info('callback: customer bridged to the owner');
    } else {
      // Nothing to wrap up: the owner talked to nobody.
      if (!call.ended) await call.hangup().catch(() => undefined);
      await agentState.tryTransition(agentId, 'available', { from: ['reserved'] }).catch(() => undefined);
      log.info({ outcome }, 'callback: customer not reached');
    }
    return { accepted: true, callId: call.callId, customer: outcome };
  }

  private async dialCustomer(call: CallChannel, cb: CallbackOffer, headers: Record<string, string>, hooks: PreviewHooks, log: Logger): Promise<PreviewCustomerOutcome> {
    if (call.ended) return 'agent-gone';
    if (hooks.beforeCustomerDial && !(await hooks.beforeCustomerDial())) return 'not-dialled';
    let uri: string;
    try {
      uri = this.o.calls.trunkUriFor(cb.phone, this.o.trunk ? { trunk: this.o.trunk } : {}).uri;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'callback: customer number refused before dialling');
      return 'failed';
    }
    const br = await call.bridge({
      uri, callerId: this.o.callerId, ringTimeoutMs: this.o.customerRingTimeoutMs ?? 30_000, headers: { ...headers, 'X-Call-Id': call.callId },
    });
    if (br.outcome === 'bridged') return 'connected';
    return br.outcome === 'caller-gone' ? 'agent-gone' : br.outcome;
  }

  private async afterCall(agentId: string, callId: string, log: Logger): Promise<void> {
    try {
      const t = await this.o.agentState.tryTransition(agentId, 'wrap-up', { from: ['on-call'], callId });
      if ('error' in t || this.o.autoWrapMs === undefined) return;
      const timer = setTimeout(() => void this.o.agentState.tryTransition(agentId, 'available', { from: ['wrap-up'], callId }).catch(() => undefined), this.o.autoWrapMs);
      timer.unref();
    } catch (err) {
      log.warn({ err }, 'agent state after the callback failed');
    }
  }
}
