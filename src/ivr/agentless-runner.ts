import type { CallChannel } from '../calls/call-channel.js';
import type { AgentlessResult, AgentlessRunner, ScreenPop } from '../dialer/ports.js';
import { FlowCache } from './flow-cache.js';
import type { IvrStore } from './ivr-store.js';
import { runFlow } from './session.js';
import type { IvrDeps } from './task.js';

/**
 * The dialer's agentless campaigns (payment reminders) run stored IVR flows on answered outbound calls.
 * The flow sees leadId, campaignId, name and the lead's fields as `lead.<field>`; it reports back by
 * setting `optOut` = 'true' (e.g. a "press 9 to stop these calls" menu choice) and `result`.
 */
export class IvrAgentlessRunner implements AgentlessRunner {
  private readonly cache = new FlowCache();
  constructor(private readonly store: IvrStore, private readonly deps: IvrDeps) {}

  async run(call: CallChannel, req: { flowId: string; campaignId: string; leadId: string; pop: ScreenPop }): Promise<AgentlessResult> {
    const flow = await this.store.getFlow(req.flowId);
    if (!flow) throw new Error(`agentless flow '${req.flowId}' not found`);
    const vars: Record<string, string> = { leadId: req.leadId, campaignId: req.campaignId };
    if (req.pop.name) vars.name = req.pop.name;
    for (const [k, v] of Object.entries(req.pop.fields)) vars[`lead.${k}`] = v;
    const r = await runFlow(this.cache.get(flow), call, { ...this.deps, calendars: this.deps.calendars ?? this.store }, { vars });
    return {
      completed: r.outcome === 'hangup' || r.outcome === 'transferred' || r.outcome === 'queued',
      optOut: r.vars.optOut === 'true',
      result: r.vars.result || r.outcome,
    };
  }
}
