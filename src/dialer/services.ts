import type { Redis } from 'ioredis';
import type { FastifyPluginAsync } from 'fastify';
import type { Keys } from '../redis.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CallStatsStore } from '../compliance/call-stats.js';
import { DncStore } from '../compliance/dnc-store.js';
import { DEFAULT_CAP_RULES, FrequencyCaps, type CapRule } from '../compliance/frequency-caps.js';
import { CompliancePolicy } from '../compliance/policy.js';
import { RefusalLog } from '../compliance/refusal-log.js';
import { DispositionService } from '../leads/disposition-service.js';
import { LeadLock } from '../leads/lead-lock.js';
import { LeadStore } from '../leads/lead-store.js';
import { OwnerLookup } from '../leads/owner-lookup.js';
import { campaignRoutes } from '../api/campaign-routes.js';
import { leadRoutes } from '../api/lead-routes.js';
import { dncRoutes } from '../api/dnc-routes.js';
import { complianceRoutes } from '../api/compliance-routes.js';
import { CampaignStore } from './campaign-store.js';
import { DialerManager, type DialerManagerDeps } from './dialer-manager.js';
import { RedisLeadQueue } from './redis-lead-queue.js';

export interface DialerServices {
  campaigns: CampaignStore;
  leads: LeadStore;
  locks: LeadLock;
  dnc: DncStore;
  caps: FrequencyCaps;
  refusals: RefusalLog;
  callStats: CallStatsStore;
  policy: CompliancePolicy;
  owners: OwnerLookup;
  dispositions: DispositionService;
  leadQueue: RedisLeadQueue;
}

/** Builds the Redis-backed stores and services of campaigns, leads and compliance (no telephony needed). */
export function createDialerServices(o: { redis: Redis; keys: Keys; log: Logger; capRules?: CapRule[]; leadLockTtlMs?: number }): DialerServices {
  const leads = new LeadStore(o.redis, o.keys);
  const locks = new LeadLock(o.redis, o.keys, o.leadLockTtlMs);
  const dnc = new DncStore(o.redis, o.keys);
  const caps = new FrequencyCaps(o.redis, o.keys, o.capRules ?? DEFAULT_CAP_RULES);
  const refusals = new RefusalLog(o.redis, o.keys, o.log.child({ mod: 'compliance' }));
  const policy = new CompliancePolicy({ dnc, caps, refusals });
  return {
    campaigns: new CampaignStore(o.redis, o.keys), leads, locks, dnc, caps, refusals,
    callStats: new CallStatsStore(o.redis, o.keys), policy, owners: new OwnerLookup(leads),
    dispositions: new DispositionService({ store: leads, dnc }),
    leadQueue: new RedisLeadQueue({ store: leads, lock: locks, policy, dnc, caps, log: o.log.child({ mod: 'lead-queue' }) }),
  };
}

/** The dialer itself, once call control and the agent pool exist. */
export function createDialerManager(s: DialerServices, d: Omit<DialerManagerDeps, 'campaigns' | 'leads' | 'callStats'>): DialerManager {
  return new DialerManager({ ...d, campaigns: s.campaigns, leads: s.leadQueue, callStats: s.callStats });
}

/** The four route plugins as buildApp() domains. */
export function dialerDomains(s: DialerServices, o: { audit: AuditLog; dialers?: DialerManager; defaultCountry?: string }): { name: string; plugin: FastifyPluginAsync }[] {
  return [
    { name: 'campaigns', plugin: async (app) => app.register(campaignRoutes, { campaigns: s.campaigns, audit: o.audit, ...(o.dialers ? { dialers: o.dialers } : {}) }) },
    { name: 'leads', plugin: async (app) => app.register(leadRoutes, { campaigns: s.campaigns, leads: s.leads, dispositions: s.dispositions, owners: s.owners, audit: o.audit }) },
    { name: 'dnc', plugin: async (app) => app.register(dncRoutes, { dnc: s.dnc, audit: o.audit, ...(o.defaultCountry ? { defaultCountry: o.defaultCountry } : {}) }) },
    { name: 'compliance', plugin: async (app) => app.register(complianceRoutes, { campaigns: s.campaigns, callStats: s.callStats, refusals: s.refusals }) },
  ];
}
