import type { AgentDirectory } from '../agents/agent-directory.js';
import type { AgentStateService } from '../agents/agent-state.js';
import type { AgentAvailability } from '../scheduler/ports.js';

/** An agent can take a callback preview when 'available' and their softphone is registered (else the call cannot reach them). */
export function acdAgentAvailability(o: { agentState: Pick<AgentStateService, 'get'>; directory: Pick<AgentDirectory, 'contactFor'> }): AgentAvailability {
  return {
    async isAvailable(agentId) {
      if ((await o.agentState.get(agentId)).state !== 'available') return false;
      return (await o.directory.contactFor(agentId)) !== null;
    },
  };
}
