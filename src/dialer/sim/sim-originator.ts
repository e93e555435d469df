import type { OriginateRequest, OriginateResult, Originator } from '../ports.js';
import { FakeCall } from './fake-call.js';
import type { Rng } from './rng.js';
import type { SimClock } from './sim-clock.js';

export interface SimOriginatorOptions {
  /** Share of dials answered by a person. */
  answerRate: number;
  /** Of the rest: share busy (fast), share failed; the remainder ring out to the timeout. */
  busyShare: number;
  failedShare: number;
}

/** Simulated customers: answer after 3-20 s of ringing, or busy after 2-6 s, or ring out at the campaign's timeout. */
export class SimOriginator implements Originator {
  private seq = 0;
  constructor(private readonly clock: SimClock, private readonly rng: Rng, private readonly o: SimOriginatorOptions) {}

  async originate(req: OriginateRequest): Promise<OriginateResult> {
    const id = `sim-${this.seq++}`;
    const u = this.rng.next();
    if (u < this.o.answerRate) {
      const ring = this.rng.uniform(3_000, Math.min(20_000, req.ringTimeoutMs));
      await this.clock.sleep(ring);
      return { outcome: 'answered', ringMs: ring, call: new FakeCall(id, req.to, req.callerId, new Date(this.clock.now())) };
    }
    const v = this.rng.next();
    if (v < this.o.busyShare) {
      const ring = this.rng.uniform(2_000, 6_000);
      await this.clock.sleep(ring);
      return { outcome: 'busy', ringMs: ring, sipStatus: 486 };
    }
    if (v < this.o.busyShare + this.o.failedShare) {
      await this.clock.sleep(1_000);
      return { outcome: 'failed', ringMs: 1_000, sipStatus: 503 };
    }
    await this.clock.sleep(req.ringTimeoutMs);
    return { outcome: 'no-answer', ringMs: req.ringTimeoutMs };
  }
}
