import type { LeadStore } from './lead-store.js';

/** Owner-first routing for the ACD: who owns this customer? (seeds: a customer belongs to one rep). */
export class OwnerLookup {
  constructor(private readonly leads: LeadStore) {}

  /** By E.164 number (starts with '+') or by lead id; null when nobody owns it. */
  async ownerOf(phoneOrLeadId: string): Promise<string | null> {
    if (phoneOrLeadId.startsWith('+')) return this.leads.ownerOfPhone(phoneOrLeadId);
    const lead = await this.leads.get(phoneOrLeadId);
    return lead?.ownerAgentId ?? null;
  }
}
