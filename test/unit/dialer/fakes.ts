import { FakeCall } from '../../../src/dialer/sim/fake-call.js';
import type {
  AgentPool, AgentReservation, AgentState, OriginateRequest, OriginateResult, Originator, ReserveRequest, ScreenPop,
} from '../../../src/dialer/ports.js';
import type { CallChannel } from '../../../src/calls/call-channel.js';

export const NOW = Date.parse('2026-11-24T02:00:00Z'); // Tue 10:00 Shanghai

/** Answers or fails per number, as scripted; records every request. */
export class ScriptedOriginator implements Originator {
  readonly requests: OriginateRequest[] = [];
  readonly calls: FakeCall[] = [];
  constructor(private readonly script: (to: string) => 'answered' | 'busy' | 'no-answer') {}
  async originate(req: OriginateRequest): Promise<OriginateResult> {
    this.requests.push(req);
    const o = this.script(req.to);
    if (o !== 'answered') return { outcome: o, ringMs: o === 'busy' ? 3000 : req.ringTimeoutMs };
    const call = new FakeCall(`call-${this.calls.length + 1}`, req.to, req.callerId, new Date(NOW));
    this.calls.push(call);
    return { outcome: 'answered', call, ringMs: 5000 };
  }
}

export class FakeAgents implements AgentPool {
  readonly connected: { agentId: string; pop: ScreenPop; call: CallChannel }[] = [];
  readonly state = new Map<string, AgentState['state']>();
  constructor(ids: string[]) {
    for (const id of ids) this.state.set(id, 'idle');
  }
  async snapshot(): Promise<AgentState[]> {
    return [...this.state].map(([agentId, st]) => ({ agentId, state: st, sinceMs: NOW }));
  }
  async reserve(req: ReserveRequest): Promise<AgentReservation | null> {
    const idle = [...this.state].filter(([, st]) => st === 'idle').map(([id]) => id);
    const pick = req.preferredAgentId && idle.includes(req.preferredAgentId) ? req.preferredAgentId : req.onlyPreferred ? undefined : idle[0];
    if (!pick) return null;
    this.state.set(pick, 'reserved');
    return { agentId: pick, reservationId: `r-${pick}` };
  }
  async connect(r: AgentReservation, call: CallChannel, pop: ScreenPop): Promise<{ ok: true }> {
    this.state.set(r.agentId, 'talking');
    this.connected.push({ agentId: r.agentId, pop, call });
    return { ok: true };
  }
  async release(r: AgentReservation): Promise<void> {
    this.state.set(r.agentId, 'idle');
  }
}


/** Polls until the condition holds (async work after a tick finishes at its own pace on a loaded machine). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
