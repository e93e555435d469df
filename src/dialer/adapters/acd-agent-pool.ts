import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { CallChannel } from '../../calls/call-channel.js';
import type { AgentState as AcdState } from '../../agents/agent-schema.js';
import type { AgentStateService } from '../../agents/agent-state.js';
import type { AgentDirectory } from '../../agents/agent-directory.js';
import type { AgentActivity, AgentPool, AgentReservation, AgentState, ReserveRequest, ScreenPop } from '../ports.js';

export interface AcdAgentPoolOptions {
  agentState: Pick<AgentStateService, 'getMany' | 'tryTransition'>;
  directory: Pick<AgentDirectory, 'contactFor'>;
  /** The agents staffing a campaign (e.g. the campaign's agentIds, or its queue's members). */
  agentsOf: (campaignId: string) => Promise<string[]>;
  /** Screen pops go to `agent:<id>` as { type: 'screen-pop', ...pop }. */
  bus?: { publish(topic: string, event: { type: string; [k: string]: unknown }): Promise<void> };
  log: Logger;
  /** Ring time of the agent leg (auto-answer softphones answer at once). */
  agentRingTimeoutMs?: number;
  /** Back to available this long after the customer hangs up; unset = the agent asks for it. */
  autoWrapMs?: number;
  /** How often a waiting reservation looks for a free agent (ms). */
  pollMs?: number;
}

const ACTIVITY: Record<AcdState, AgentActivity> = {
  available: 'idle', reserved: 'reserved', 'on-call': 'talking', 'wrap-up': 'wrap', paused: 'away', 'logged-out': 'away',
};

/**
 * The dialer's AgentPool over the ACD's agent state machine (src/agents): reservations are the same atomic
 * compare-and-set transitions the queue uses (available -> reserved), so the dialer and inbound queues never
 * take the same agent; the customer is bridged to the agent's registered contact.
 */
export class AcdAgentPool implements AgentPool {
  constructor(private readonly o: AcdAgentPoolOptions) {}

  async snapshot(campaignId: string): Promise<AgentState[]> {
    const ids = await this.o.agentsOf(campaignId);
    const statuses = await this.o.agentState.getMany(ids);
    return statuses.map((s) => ({ agentId: s.agentId, state: ACTIVITY[s.state], sinceMs: s.since }));
  }

  async reserve(req: ReserveRequest): Promise<AgentReservation | null> {
    const deadline = Date.now() + req.waitMs;
    for (;;) {
      const got = await this.tryReserve(req);
      if (got) return got;
      if (Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, Math.min(this.o.pollMs ?? 100, Math.max(1, deadline - Date.now()))));
    }
  }

  async connect(r: AgentReservation, call: CallChannel, pop: ScreenPop): Promise<{ ok: true } | { ok: false; reason: string }> {
    const contact = await this.o.directory.contactFor(r.agentId);
    if (!contact) return { ok: false, reason: `agent ${r.agentId} has no registered contact` };
    await this.o.bus?.publish(`agent:${r.agentId}`, { type: 'screen-pop', ...pop }).catch(() => undefined);
    const br = await call.bridge({
      uri: contact, ringTimeoutMs: this.o.agentRingTimeoutMs ?? 15_000,
      headers: { 'X-Campaign-Id': pop.campaignId, 'X-Lead-Id': pop.leadId, 'X-Call-Id': call.callId },
    });
    if (br.outcome !== 'bridged') return { ok: false, reason: `agent leg ${br.outcome}` };
    await this.o.agentState.tryTransition(r.agentId, 'on-call', { from: ['reserved'] });
    // The customer may already have hung up while the state changed: the 'hangup' event is then gone.
    if (call.ended) void this.afterCall(r.agentId);
    else call.once('hangup', () => void this.afterCall(r.agentId));
    return { ok: true };
  }

  async release(r: AgentReservation): Promise<void> {
    await this.o.agentState.tryTransition(r.agentId, 'available', { from: ['reserved'] });
  }

  private async tryReserve(req: ReserveRequest): Promise<AgentReservation | null> {
    let candidates: string[];
    if (req.onlyPreferred && req.preferredAgentId) candidates = [req.preferredAgentId];
    else {
      const ids = await this.o.agentsOf(req.campaignId);
      const idle = (await this.o.agentState.getMany(ids)).filter((s) => s.state === 'available').sort((a, b) => a.since - b.since).map((s) => s.agentId);
      // Owner first, then the longest-idle agent.
      candidates = req.preferredAgentId && idle.includes(req.preferredAgentId) ? [req.preferredAgentId, ...idle.filter((x) => x !== req.preferredAgentId)] : idle;
    }
    for (const agentId of candidates) {
      const t = await this.o.agentState.tryTransition(agentId, 'reserved', { from: ['available'], reason: `dialer:${req.campaignId}` });
      if (!('error' in t)) return { agentId, reservationId: randomUUID() };
    }
    return null;
  }

  private async afterCall(agentId: string): Promise<void> {
    try {
      await this.o.agentState.tryTransition(agentId, 'wrap-up', { from: ['on-call'] });
      if (this.o.autoWrapMs !== undefined) {
        setTimeout(() => void this.o.agentState.tryTransition(agentId, 'available', { from: ['wrap-up'] }).catch(() => undefined), this.o.autoWrapMs).unref?.();
      }
    } catch (err) {
      this.o.log.warn({ err, agentId }, 'agent state after dialer call failed');
    }
  }
}
