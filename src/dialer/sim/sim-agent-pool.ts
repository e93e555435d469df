import type { CallChannel } from '../../calls/call-channel.js';
import type { AgentPool, AgentReservation, AgentState, ReserveRequest, ScreenPop } from '../ports.js';
import type { SimClock } from './sim-clock.js';
import type { Rng } from './rng.js';

export interface SimAgentPoolOptions {
  agents: number;
  meanTalkMs: number;
  talkCv: number;
  meanWrapMs: number;
  wrapCv: number;
}

interface Agent {
  id: string;
  state: AgentState['state'];
  since: number;
  /** Time spent in each state, for the report. */
  acc: Record<AgentState['state'], number>;
}

interface Waiter {
  req: ReserveRequest;
  resolve: (r: AgentReservation | null) => void;
  timer: { cancelled?: boolean };
}

/** Simulated agents: talk and wrap times drawn from log-normal distributions; the customer hangs up after the talk. */
export class SimAgentPool implements AgentPool {
  readonly agents: Agent[];
  private waiters: Waiter[] = [];
  private seq = 0;

  constructor(private readonly clock: SimClock, private readonly rng: Rng, private readonly o: SimAgentPoolOptions) {
    this.agents = Array.from({ length: o.agents }, (_, i) => ({
      id: `a${i + 1}`, state: 'away' as const, since: clock.now(), acc: { idle: 0, reserved: 0, talking: 0, wrap: 0, away: 0 },
    }));
  }

  async snapshot(): Promise<AgentState[]> {
    return this.agents.map((a) => ({ agentId: a.id, state: a.state, sinceMs: a.since }));
  }

  reserve(req: ReserveRequest): Promise<AgentReservation | null> {
    const a = this.pick(req);
    if (a) return Promise.resolve(this.take(a));
    if (req.waitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = { req, resolve, timer: {} };
      w.timer = this.clock.at(this.clock.now() + req.waitMs, () => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      });
      this.waiters.push(w);
    });
  }

  async connect(r: AgentReservation, call: CallChannel, _pop: ScreenPop): Promise<{ ok: true }> {
    const a = this.byId(r.agentId);
    this.set(a, 'talking');
    const talk = this.rng.lognormal(this.o.meanTalkMs, this.o.talkCv);
    this.clock.at(this.clock.now() + talk, () => {
      (call as CallChannel & { remoteHangup(): void }).remoteHangup();
      this.set(a, 'wrap');
      this.clock.at(this.clock.now() + this.rng.lognormal(this.o.meanWrapMs, this.o.wrapCv), () => this.free(a));
    });
    return { ok: true };
  }

  async release(r: AgentReservation): Promise<void> {
    this.free(this.byId(r.agentId));
  }

  /** Time is accounted only inside shifts, so per agent-hour figures add up to 60 minutes. */
  private counting = false;

  logIn(): void {
    for (const a of this.agents) this.set(a, a.state === 'away' ? 'idle' : a.state);
    this.counting = true;
  }

  /** Shift end: close the books (calls still running finish unaccounted) and send idle agents away. */
  logOut(): void {
    for (const a of this.agents) this.set(a, a.state === 'idle' ? 'away' : a.state);
    this.counting = false;
  }

  /** After the shift tail: everyone who finished is away. */
  sweep(): void {
    for (const a of this.agents) if (a.state === 'idle') this.set(a, 'away');
  }

  private pick(req: ReserveRequest): Agent | undefined {
    const idle = this.agents.filter((a) => a.state === 'idle');
    const owner = req.preferredAgentId ? idle.find((a) => a.id === req.preferredAgentId) : undefined;
    if (owner || req.onlyPreferred) return owner;
    // Longest-idle agent first.
    return idle.sort((x, y) => x.since - y.since)[0];
  }

  private take(a: Agent): AgentReservation {
    this.set(a, 'reserved');
    return { agentId: a.id, reservationId: `r${this.seq++}` };
  }

  private free(a: Agent): void {
    this.set(a, 'idle');
    const w = this.waiters.find((x) => !x.req.onlyPreferred || x.req.preferredAgentId === a.id);
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.timer.cancelled = true;
      w.resolve(this.take(a));
    }
  }

  private set(a: Agent, s: Agent['state']): void {
    const now = this.clock.now();
    if (this.counting) a.acc[a.state] += now - a.since;
    a.state = s;
    a.since = now;
  }

  private byId(id: string): Agent {
    const a = this.agents.find((x) => x.id === id);
    if (!a) throw new Error(`no agent ${id}`);
    return a;
  }
}
