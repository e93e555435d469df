import type { CallOutcome, ClaimedLead, ClaimRequest, LeadQueue } from '../lead-queue.js';

/** An endless supply of fresh leads for the pacing simulation (compliance is not what it measures). */
export class EndlessLeadQueue implements LeadQueue {
  private seq = 0;
  readonly outcomes = new Map<string, number>();

  async claim(req: ClaimRequest): Promise<ClaimedLead[]> {
    return Array.from({ length: req.count }, () => {
      const id = `sim-lead-${++this.seq}`;
      return { lead: { id, campaignId: req.campaign.id, phone: `+86138${String(this.seq).padStart(8, '0')}`, timezone: 'UTC', fields: {}, attempts: 0 } };
    });
  }
  async unclaim(): Promise<void> {}
  async recordOutcome(_c: ClaimedLead, o: CallOutcome): Promise<void> {
    this.outcomes.set(o.outcome, (this.outcomes.get(o.outcome) ?? 0) + 1);
  }
}
