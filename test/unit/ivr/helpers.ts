import { pino } from 'pino';
import type { FlowInput } from '../../../src/ivr/flow-schema.js';
import type { IvrDeps } from '../../../src/ivr/task.js';
import { fakePrompts } from './fakes.js';

/** A flow around the given nodes; start defaults to the first node. */
export function mkFlow(nodes: FlowInput['nodes'], extra: Partial<FlowInput> = {}): FlowInput {
  return { id: 'test-flow', name: 'test flow', start: Object.keys(nodes)[0], ...extra, nodes };
}

export function mkDeps(extra: Partial<IvrDeps> = {}): IvrDeps {
  return { prompts: fakePrompts, log: pino({ level: 'silent' }), ...extra };
}
