import type { AgentDirectory } from '../agents/agent-directory.js';
import type { AgentStateService } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import type { CampaignStore } from '../dialer/campaign-store.js';
import { AcdAgentPool } from '../dialer/adapters/acd-agent-pool.js';
import type { AgentPool } from '../dialer/ports.js';
import type { EventPublisher } from '../scheduler/ports.js';
import type { Logger } from '../logger.js';

export interface CampaignAgentPoolOptions {
  campaigns: Pick<CampaignStore, 'get'>;
  agents: Pick<AgentStore, 'members'>;
  agentState: Pick<AgentStateService, 'getMany' | 'tryTransition'>;
  directory: Pick<AgentDirectory, 'contactFor'>;
  /** Screen pops go out on `agent:<id>`, which the WebSocket gateway delivers (masked) to that agent. */
  bus: EventPublisher;
  log: Logger;
  agentRingTimeoutMs?: number;
  autoWrapMs?: number;
}

/**
 * A campaign's staff: its listed agentIds plus the members of its queue, each once. With a directory, only agents
 * whose softphone is registered count: pacing must not dial for, nor reserve, an agent the call cannot reach.
 */
export function campaignStaff(
  campaigns: Pick<CampaignStore, 'get'>, agents: Pick<AgentStore, 'members'>, directory?: Pick<AgentDirectory, 'contactFor'>,
): (campaignId: string) => Promise<string[]> {
  return async (campaignId) => {
    const c = await campaigns.get(campaignId);
    if (!c) return [];
    const members = c.queueId ? await agents.members(c.queueId) : [];
    const ids = [...new Set([...c.agentIds, ...members])];
    if (!directory) return ids;
    const reachable = await Promise.all(ids.map(async (id) => (await directory.contactFor(id)) !== null));
    return ids.filter((_, i) => reachable[i]);
  };
}

/**
 * The dialer's AgentPool over the ACD: reservations are the agent state machine's atomic available -> reserved
 * transition (shared with inbound queues, so no agent is taken twice), owner first; connect bridges to the agent's
 * registered softphone after pushing the screen pop (agents without a registered phone are not staff); release returns a reserved agent to available.
 */
export function campaignAgentPool(o: CampaignAgentPoolOptions): AgentPool {
  return new AcdAgentPool({
    agentState: o.agentState, directory: o.directory, agentsOf: campaignStaff(o.campaigns, o.agents, o.directory), bus: o.bus, log: o.log,
    ...(o.agentRingTimeoutMs !== undefined ? { agentRingTimeoutMs: o.agentRingTimeoutMs } : {}),
    ...(o.autoWrapMs !== undefined ? { autoWrapMs: o.autoWrapMs } : {}),
  });
}
