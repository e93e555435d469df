import type { StrategyName } from '../queue-schema.js';
import { fewestCalls } from './fewest-calls.js';
import { leastTalkTime } from './least-talk-time.js';
import { longestIdle } from './longest-idle.js';
import { ownerFirst } from './owner-first.js';
import { random } from './random.js';
import { ringAll } from './ring-all.js';
import { roundRobin } from './round-robin.js';
import { skillsBased } from './skills-based.js';
import type { RoutingStrategy } from './types.js';

/** Where queue routing is decided: one file per strategy in this folder, looked up by the queue's `strategy`. */
export const strategies: Record<StrategyName, RoutingStrategy> = {
  'longest-idle': longestIdle,
  'round-robin': roundRobin,
  'fewest-calls': fewestCalls,
  'least-talk-time': leastTalkTime,
  'ring-all': ringAll,
  random,
  'skills-based': skillsBased,
  'owner-first': ownerFirst((name) => strategies[name]),
};

export function strategyFor(name: StrategyName): RoutingStrategy {
  return strategies[name];
}

export type { RoutingAgent, RoutingCall, RoutingDecision, RoutingInput, RoutingStrategy } from './types.js';
