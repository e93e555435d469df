import type { AgentDirectory } from '../agents/agent-directory.js';
import type { AgentStateService } from '../agents/agent-state.js';
import { callLogger, type Logger } from '../logger.js';
import type { CallbackOffer, EventPublisher, Originator, PreviewDialer } from '../scheduler/ports.js';

export interface BridgingPreviewDialerOptions {
  agentState: Pick<AgentStateService, 'tryTransition'>;
  directory: Pick<AgentDirectory, 'contactFor'>;
  originator: Originator;
  /** The preview goes out on `agent:<id>` (the gateway masks `phone` for agents). */
  bus: EventPublisher;
  callerId: string;
  log: Logger;
  /** How long the agent sees the preview before the customer is dialled (default 3 s). */
  previewMs?: number;
  ringTimeoutMs?: number;
  agentRingTimeoutMs?: number;
  /** Back to available this long after the call; unset = the agent asks for it. */
  autoWrapMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Preview dialling of a callback for its owner: the owner is reserved atomically (available -> reserved, the same
 * compare-and-set the ACD and dialer use, so nobody else takes them), sees the preview, then the customer is dialled
 * and bridged to the owner's softphone. Not accepted when the owner cannot be reserved or has no registered phone.
 * Once the owner has the preview the callback is theirs: an unanswered customer is reported to them
 * (`callback-preview-result`) rather than handed to another agent.
 */
export class BridgingPreviewDialer implements PreviewDialer {
  constructor(private readonly o: BridgingPreviewDialerOptions) {}

  async offerToAgent(agentId: string, cb: CallbackOffer): Promise<{ accepted: boolean; callId?: string }> {
    const { agentState, bus } = this.o;
    const t = await agentState.tryTransition(agentId, 'reserved', { from: ['available'], reason: `callback:${cb.callbackId}` });
    if ('error' in t) return { accepted: false };
    const release = () => agentState.tryTransition(agentId, 'available', { from: ['reserved'] }).catch(() => undefined);
    const contact = await this.o.directory.contactFor(agentId);
    if (!contact) {
      await release();
      return { accepted: false };
    }
    const topic = `agent:${agentId}`;
    await bus.publish(topic, { type: 'callback-preview', ...cb }).catch(() => undefined);
    await sleep(this.o.previewMs ?? 3000);
    const r = await this.o.originator.originate({
      to: cb.phone, callerId: this.o.callerId, ringTimeoutMs: this.o.ringTimeoutMs ?? 30_000, headers: { 'X-Callback-Id': cb.callbackId },
    });
    if (r.outcome !== 'answered') {
      await release();
      await bus.publish(topic, { type: 'callback-preview-result', callbackId: cb.callbackId, outcome: r.outcome }).catch(() => undefined);
      return { accepted: true };
    }
    const call = r.call;
    const log = callLogger(this.o.log, call.callId, { callbackId: cb.callbackId, agentId });
    const br = await call.bridge({ uri: contact, ringTimeoutMs: this.o.agentRingTimeoutMs ?? 15_000, headers: { 'X-Callback-Id': cb.callbackId, 'X-Call-Id': call.callId } });
    if (br.outcome !== 'bridged') {
      log.warn({ outcome: br.outcome }, 'callback: owner leg failed; hanging up the customer');
      await call.hangup().catch(() => undefined);
      await release();
      await bus.publish(topic, { type: 'callback-preview-result', callbackId: cb.callbackId, outcome: `agent-${br.outcome}`, callId: call.callId }).catch(() => undefined);
      return { accepted: true, callId: call.callId };
    }
    await agentState.tryTransition(agentId, 'on-call', { from: ['reserved'], callId: call.callId }).catch(() => undefined);
    await bus.publish(topic, { type: 'callback-preview-result', callbackId: cb.callbackId, outcome: 'connected', callId: call.callId }).catch(() => undefined);
    call.once('hangup', () => void this.afterCall(agentId, log));
    log.info('callback connected to its owner');
    return { accepted: true, callId: call.callId };
  }

  private async afterCall(agentId: string, log: Logger): Promise<void> {
    try {
      await this.o.agentState.tryTransition(agentId, 'wrap-up', { from: ['on-call'] });
      if (this.o.autoWrapMs !== undefined) {
        setTimeout(() => void this.o.agentState.tryTransition(agentId, 'available', { from: ['wrap-up'] }).catch(() => undefined), this.o.autoWrapMs).unref?.();
      }
    } catch (err) {
      log.warn({ err }, 'agent state after callback failed');
    }
  }
}
