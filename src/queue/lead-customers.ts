import type { CustomerLookup } from './ports.js';

/** The lead fields a screen pop shows (src/leads Lead has these). */
interface LeadLike {
  id: string;
  campaignId: string;
  phone: string;
  name?: string;
  fields: Record<string, string>;
  interest?: string;
  ownerAgentId?: string;
}

/**
 * Screen-pop customer records from the lead store (src/leads LeadStore.get fits). Callers arriving without a
 * lead id get no record; phone numbers are masked per viewer by the WebSocket gateway.
 */
export function leadCustomers(leads: { get(id: string): Promise<LeadLike | null> }): CustomerLookup {
  return {
    async find({ leadId }) {
      if (!leadId) return null;
      const l = await leads.get(leadId);
      if (!l) return null;
      return {
        leadId: l.id, campaignId: l.campaignId, phone: l.phone, fields: l.fields,
        ...(l.name ? { name: l.name } : {}), ...(l.interest ? { interest: l.interest } : {}), ...(l.ownerAgentId ? { ownerAgentId: l.ownerAgentId } : {}),
      };
    },
  };
}
