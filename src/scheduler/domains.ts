import type { FastifyPluginAsync } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { TokenSigner } from '../auth/tokens.js';
import { callbackRoutes } from '../api/callback-routes.js';
import { paymentRoutes } from '../api/payment-routes.js';
import { queueDashboardPlugin } from './dashboard-plugin.js';
import type { SchedulerServices } from './workers.js';

/** The scheduler's route plugins as buildApp() domains: callbacks + follow-up plans, payments, the admin queue dashboard. */
export function schedulerDomains(s: SchedulerServices, o: { audit: AuditLog; tokens: TokenSigner; dashboard?: boolean }): { name: string; plugin: FastifyPluginAsync }[] {
  const domains: { name: string; plugin: FastifyPluginAsync }[] = [
    { name: 'callbacks', plugin: async (app) => app.register(callbackRoutes, { callbacks: s.callbacks, plans: s.plans, audit: o.audit }) },
    { name: 'payments', plugin: async (app) => app.register(paymentRoutes, { payments: s.payments, audit: o.audit }) },
  ];
  if (o.dashboard !== false) {
    domains.push({ name: 'queue-dashboard', plugin: async (app) => app.register(queueDashboardPlugin, { queues: [s.queue.queue], tokens: o.tokens }) });
  }
  return domains;
}
