import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { AppContext, ReadinessCheck } from './context.js';
import { buildApp, type DomainPlugin } from './app.js';
import { createRedis, Keys } from './redis.js';
import { AuditLog } from './audit/audit-log.js';
import { UserStore } from './auth/users.js';
import { TokenSigner } from './auth/tokens.js';
import { EventBus } from './events/bus.js';
import { recordingDomain, startMediaServices } from './media/media-services.js';
import { namedPrompt } from './media/prompts.js';
import { createAcd } from './queue/acd.js';
import { leadCustomers } from './queue/lead-customers.js';
import { createIvr } from './ivr/ivr.js';
import { createDialerManager, createDialerServices, dialerDomains } from './dialer/services.js';
import { bullConnection, createSchedulerServices, startSchedulerWorkers } from './scheduler/workers.js';
import { schedulerDomains } from './scheduler/domains.js';
import { callingWindowsSchema } from './compliance/calling-window.js';
import { startCallControl } from './calls/call-control.js';
import { webRoutes } from './api/web-routes.js';
import { schedulerDialGuard } from './wiring/dial-guard.js';
import { dialerOriginator, schedulerOriginator } from './wiring/originator-adapter.js';
import { campaignAgentPool } from './wiring/acd-agent-pool.js';
import { acdAgentAvailability } from './wiring/agent-availability.js';
import { OwnerPreviewDialer } from './scheduler/preview-dialer.js';
import { dispositionHooks } from './scheduler/wiring.js';
import { queueAnyAgentDispatch } from './wiring/any-agent-dispatch.js';
import { dncOptOutSink } from './wiring/opt-out.js';
import { promptReminderCall } from './wiring/reminder-call.js';
import { dialerEventPublisher } from './wiring/dialer-events.js';
import { ListenInService } from './supervisor/listen-in.js';
import { callRoutes } from './api/call-routes.js';
import { asSrfApp } from './calls/srf-types.js';
import { createKpi } from './kpi/kpi-services.js';
import { KpiCounters } from './kpi/kpi-counters.js';

export interface RunningService {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  stop(): Promise<void>;
}

/** Scope id of callbacks that belong to no campaign (the callback runner's defaultScope). */
const CALLBACK_SCOPE = 'callbacks';

/** Composition root: builds every dependency once, wires the domain plugins, listens. */
export async function startService(config: Config, log: Logger): Promise<RunningService> {
  const redis = createRedis(config);
  const keys = new Keys(config.REDIS_PREFIX);
  const readiness: ReadinessCheck[] = [
    { name: 'redis', check: async () => void (await redis.ping()) },
  ];
  const ctx: AppContext = {
    config,
    log,
    redis,
    keys,
    audit: new AuditLog(redis, keys),
    users: new UserStore(redis, keys),
    tokens: new TokenSigner(config.AUTH_SECRET, config.TOKEN_TTL_SECONDS),
    readiness,
  };
  await ctx.users.upsert({ username: config.ADMIN_USER, password: config.ADMIN_PASSWORD, role: 'admin' });

  // Started in this order, stopped in the reverse one (app first, Redis last).
  const stoppers: { name: string; stop: () => Promise<void> | void }[] = [];
  const domains: DomainPlugin[] = [];
  const stopAll = async () => {
    for (const s of stoppers.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.warn({ err, step: s.name }, 'stop step failed');
      }
    }
  };

  try {
    // A subscriber connection cannot run commands: the bus gets its own.
    const sub = createRedis(config);
    stoppers.push({ name: 'redis-sub', stop: () => sub.disconnect() });
    const bus = new EventBus(redis, sub, keys);
    stoppers.push({ name: 'bus', stop: () => bus.close() });

    const media = await startMediaServices({
      redis, keys, log,
      rtpengine: { host: config.RTPENGINE_HOST, port: config.RTPENGINE_PORT },
      dtmfPort: config.RTPENGINE_DTMF_PORT,
      spoolDir: config.RTPENGINE_SPOOL_DIR,
      recordingsDir: config.RECORDINGS_DIR,
      promptsDir: config.PROMPTS_DIR,
      retentionDays: config.RECORDING_RETENTION_DAYS,
    });
    stoppers.push({ name: 'media', stop: () => media.stop() });
    readiness.push({ name: 'rtpengine', check: () => media.readiness.check() });

    const dialer = createDialerServices({ redis, keys, log });
    const connection = bullConnection(config.REDIS_URL);
    const scheduler = createSchedulerServices({
      redis, keys, connection, prefix: config.SCHEDULER_PREFIX, bus,
      defaultTimezone: config.DEFAULT_TIMEZONE, defaultCountry: config.DEFAULT_COUNTRY,
    });
    stoppers.push({ name: 'scheduler-queue', stop: () => scheduler.close() });

    const acd = createAcd({
      redis, keys, bus, log, audit: ctx.audit, prompts: media.prompts, owners: dialer.owners, customers: leadCustomers(dialer.leads),
      callbacks: scheduler.callbacks,
    });
    await acd.start();
    stoppers.push({ name: 'acd', stop: () => acd.stop() });

    const trunk = { trunkUriTemplate: config.TRUNK_URI_TEMPLATE, allowedPrefixes: config.TRUNK_ALLOWED_PREFIXES };
    // The IVR's survey node (afterAgent) and the KPI report share the counters.
    const kpiCounters = new KpiCounters(redis, keys);
    const ivr = createIvr({
      redis, keys, log, audit: ctx.audit, prompts: media.prompts, queue: acd.queueService, agents: acd.directory,
      callbacks: scheduler.callbacks, trunk, bus, maxSteps: config.IVR_MAX_STEPS, surveys: kpiCounters,
    });

    const calls = await startCallControl({
      log,
      drachtio: { host: config.DRACHTIO_HOST, port: config.DRACHTIO_PORT, secret: config.DRACHTIO_SECRET },
      media: media.mediaFactory,
      registrar: {
        realm: config.SIP_DOMAIN,
        // nonces must verify on every instance: derived from the shared secret, never the secret itself
        nonceSecret: createHmac('sha256', config.AUTH_SECRET).update('sip-digest-nonce').digest('hex'),
        credentials: acd.agents,
        sink: acd.directory,
      },
      didRouter: ivr.didRouter,
      outbound: trunk,
    });
    stoppers.push({ name: 'calls', stop: () => calls.stop() });
    readiness.push({ name: 'sip', check: () => calls.conn.readinessCheck().check() });

    // Supervisor listen-in: rtpengine media subscriptions fed to the supervisor's softphone.
    const listenIn = new ListenInService({
      srf: asSrfApp(calls.conn.srf), client: media.client, registry: calls.registry, audit: ctx.audit, bus, log,
      contactFor: (agentId) => acd.directory.contactFor(agentId),
    });
    stoppers.push({ name: 'listen-in', stop: () => listenIn.stop() });

    const agentPool = campaignAgentPool({
      campaigns: dialer.campaigns, agents: acd.agents, agentState: acd.agentState, directory: acd.directory, bus, log,
      // An answered customer must reach an agent within 2 s or hear the safe-harbor message: the agent leg
      // (auto-answer softphones) may not ring longer than that.
      agentRingTimeoutMs: 2000,
    });
    const dialers = createDialerManager(dialer, {
      originator: dialerOriginator(calls.originator),
      agents: agentPool,
      agentless: ivr.agentlessRunner,
      log,
      prompt: namedPrompt(media.prompts),
      onEvent: dialerEventPublisher(bus, log),
    });
    stoppers.push({ name: 'dialers', stop: () => dialers.stopAll() });

    const callsOut = schedulerOriginator(calls.originator, log);
    const worker = await startSchedulerWorkers({
      services: scheduler,
      connection,
      log,
      bus,
      dialGuard: schedulerDialGuard({
        policy: dialer.policy, campaigns: dialer.campaigns, portfolios: scheduler.paymentStore,
        defaultScope: { id: CALLBACK_SCOPE, callingWindows: callingWindowsSchema.parse({}), allowedPrefixes: config.TRUNK_ALLOWED_PREFIXES },
      }),
      agents: acdAgentAvailability({ agentState: acd.agentState, directory: acd.directory }),
      // Agent first: the owner's phone rings, then the customer is dialled from the owner's leg (seeds: a
      // customer stays with their rep).
      preview: new OwnerPreviewDialer({
        agentState: acd.agentState, directory: acd.directory, calls: calls.originator, bus, log,
        customers: leadCustomers(dialer.leads), audit: ctx.audit, callerId: config.CALLBACK_CALLER_ID,
      }),
      anyAgent: queueAnyAgentDispatch({
        originator: callsOut, queue: acd.queueService, callerId: config.CALLBACK_CALLER_ID, defaultQueueId: config.CALLBACK_QUEUE_ID, log,
      }),
      callbackOptions: { defaultScope: CALLBACK_SCOPE },
      originator: callsOut,
      reminderCall: promptReminderCall({ prompts: media.prompts, queue: acd.queueService, log }),
      optOut: dncOptOutSink(dialer.dnc),
      retention: { sweep: (now) => media.recordings.enforceRetention(now) },
    });
    stoppers.push({ name: 'scheduler-worker', stop: () => worker.stop() });
    // A "callback" disposition books a real scheduled callback; a final one closes the lead's follow-up plan.
    dialer.dispositions.useHooks(dispositionHooks(scheduler));
    // KPI counters (dials, connects, conversions, survey scores) next to the agents' daily time totals.
    const kpi = createKpi({
      redis, keys, agentState: acd.agentState, agents: acd.agents, callStats: dialer.callStats, dispositions: dialer.dispositions, audit: ctx.audit, counters: kpiCounters, log,
    });
    stoppers.push({ name: 'kpi', stop: () => kpi.stop() });

    domains.push(
      ...acd.domains,
      ...ivr.domains,
      ...dialerDomains(dialer, { audit: ctx.audit, dialers, defaultCountry: config.DEFAULT_COUNTRY }),
      recordingDomain(media, ctx.audit),
      ...schedulerDomains(scheduler, { audit: ctx.audit, tokens: ctx.tokens }),
      kpi.domain,
      { name: 'web', plugin: webRoutes },
      { name: 'calls', plugin: async (app) => { await app.register(callRoutes, { registry: calls.registry, listenIn, audit: ctx.audit }); } },
    );
  } catch (err) {
    await stopAll();
    redis.disconnect();
    throw err;
  }

  const app = await buildApp(ctx, domains);
  try {
    await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  } catch (err) {
    await app.close().catch(() => undefined);
    await stopAll();
    redis.disconnect();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.HTTP_PORT;
  return {
    app,
    ctx,
    url: `http://${config.HTTP_HOST}:${port}`,
    async stop() {
      await app.close();
      await stopAll();
      redis.disconnect();
    },
  };
}
