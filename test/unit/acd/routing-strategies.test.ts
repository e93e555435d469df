import { describe, expect, it } from 'vitest';
import { strategies } from '../../../src/queue/routing/index.js';
import type { RoutingAgent, RoutingInput } from '../../../src/queue/routing/types.js';
import { queueConfigSchema } from '../../../src/queue/queue-schema.js';

const now = 1_000_000;
const agent = (id: string, o: Partial<RoutingAgent> = {}): RoutingAgent => ({ id, availableSince: now - 1000, skills: {}, callsToday: 0, talkMsToday: 0, ...o });
const input = (agents: RoutingAgent[], o: Partial<RoutingInput> = {}): RoutingInput => ({
  call: { callId: 'c1', priority: 0, enqueuedAt: now - 500, requiredSkills: {}, ownerAgentId: null },
  queue: queueConfigSchema.parse({ id: 'q', name: 'Q' }),
  agents, owner: null, ownerState: null, now, lastAgentId: null, random: () => 0.5, ...o,
});

describe('routing strategies (src/queue/routing, one file each)', () => {
  it('longest-idle: the agent available the longest first', () => {
    const d = strategies['longest-idle'].pick(input([agent('a', { availableSince: now - 10 }), agent('b', { availableSince: now - 900 }), agent('c', { availableSince: now - 50 })]));
    expect(d).toEqual({ agentIds: ['b', 'c', 'a'], mode: 'first' });
  });

  it('round-robin: the next id after the last one offered, wrapping', () => {
    const agents = ['a1', 'a2', 'a3'].map((id) => agent(id));
    expect(strategies['round-robin'].pick(input(agents)).agentIds[0]).toBe('a1');
    expect(strategies['round-robin'].pick(input(agents, { lastAgentId: 'a1' })).agentIds).toEqual(['a2', 'a3', 'a1']);
    expect(strategies['round-robin'].pick(input(agents, { lastAgentId: 'a3' })).agentIds[0]).toBe('a1');
    // the last one offered is busy now: continue after where it was
    expect(strategies['round-robin'].pick(input([agent('a1'), agent('a3')], { lastAgentId: 'a2' })).agentIds[0]).toBe('a3');
  });

  it('fewest-calls and least-talk-time rank by today\'s totals, ties to longest idle', () => {
    const agents = [
      agent('a', { callsToday: 5, talkMsToday: 1000 }),
      agent('b', { callsToday: 2, talkMsToday: 9000, availableSince: now - 10 }),
      agent('c', { callsToday: 2, talkMsToday: 500, availableSince: now - 20 }),
    ];
    expect(strategies['fewest-calls'].pick(input(agents)).agentIds).toEqual(['c', 'b', 'a']);
    expect(strategies['least-talk-time'].pick(input(agents)).agentIds).toEqual(['c', 'a', 'b']);
  });

  it('ring-all: every available agent, mode all', () => {
    const d = strategies['ring-all'].pick(input([agent('a'), agent('b', { availableSince: now - 5000 })]));
    expect(d).toEqual({ agentIds: ['b', 'a'], mode: 'all' });
  });

  it('random: follows the random source and never repeats', () => {
    const seq = [0.99, 0, 0.5];
    let i = 0;
    const d = strategies.random.pick(input(['a', 'b', 'c', 'd'].map((id) => agent(id)), { random: () => seq[i++ % seq.length] }));
    expect(d.agentIds[0]).toBe('d');
    expect(d.agentIds[1]).toBe('a');
    expect(new Set(d.agentIds).size).toBe(d.agentIds.length);
    expect(d.agentIds).toHaveLength(4);
  });

  it('skills-based: only agents meeting every minimum level, best levels first', () => {
    const queue = queueConfigSchema.parse({ id: 'q', name: 'Q', strategy: 'skills-based', requiredSkills: { english: 5 } });
    const agents = [
      agent('low', { skills: { english: 4, billing: 9 } }),
      agent('mid', { skills: { english: 6, billing: 5 } }),
      agent('top', { skills: { english: 9, billing: 7 } }),
      agent('nobilling', { skills: { english: 10 } }),
    ];
    const call = { callId: 'c', priority: 0, enqueuedAt: now, requiredSkills: { billing: 5 }, ownerAgentId: null };
    expect(strategies['skills-based'].pick(input(agents, { queue, call })).agentIds).toEqual(['top', 'mid']);
    // without the call's own requirement the English-only expert is best
    expect(strategies['skills-based'].pick(input(agents, { queue })).agentIds).toEqual(['nobilling', 'top', 'mid']);
  });

  describe('owner-first', () => {
    const queue = queueConfigSchema.parse({ id: 'q', name: 'Q', strategy: 'owner-first', ownerFallbackSec: 10 });
    const call = { callId: 'c', priority: 0, enqueuedAt: now - 2000, requiredSkills: {}, ownerAgentId: 'rep' };
    const others = [agent('x', { availableSince: now - 100 }), agent('y', { availableSince: now - 900 })];

    it('goes to the owner when available', () => {
      expect(strategies['owner-first'].pick(input(others, { queue, call, owner: agent('rep'), ownerState: 'available' }))).toEqual({ agentIds: ['rep'], mode: 'first' });
    });
    it('waits for a busy owner until the fallback deadline', () => {
      const d = strategies['owner-first'].pick(input(others, { queue, call, ownerState: 'on-call' }));
      expect(d.agentIds).toEqual([]);
      expect(d.wakeAt).toBe(call.enqueuedAt + 10_000);
    });
    it('falls back to the queue strategy after the deadline', () => {
      const d = strategies['owner-first'].pick(input(others, { queue, call, ownerState: 'on-call', now: call.enqueuedAt + 10_001 }));
      expect(d.agentIds).toEqual(['y', 'x']);
    });
    it('does not wait for a logged-out owner, nor for a customer nobody owns', () => {
      expect(strategies['owner-first'].pick(input(others, { queue, call, ownerState: 'logged-out' })).agentIds[0]).toBe('y');
      expect(strategies['owner-first'].pick(input(others, { queue, call: { ...call, ownerAgentId: null } })).agentIds[0]).toBe('y');
    });
  });
});
