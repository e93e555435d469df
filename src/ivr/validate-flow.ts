import { z } from 'zod';
import { flowSchema, type Flow } from './flow-schema.js';
import { edgesOf, stronglyConnected, waitsForInput } from './flow-graph.js';

/** One thing wrong with a flow, naming the node and field so an editor can point at it. */
export interface FlowProblem {
  node?: string;
  field?: string;
  message: string;
}

export class FlowValidationError extends Error {
  constructor(readonly problems: FlowProblem[], readonly issues: z.core.$ZodIssue[] = []) {
    super(`invalid flow: ${problems.map(describeProblem).join('; ')}`);
  }
}

export function describeProblem(p: FlowProblem): string {
  const where = p.node ? `node '${p.node}'${p.field ? ` ${p.field}` : ''}: ` : p.field ? `${p.field}: ` : '';
  return `${where}${p.message}`;
}

/**
 * Graph checks on a schema-valid flow: references to unknown nodes, nodes unreachable from start
 * (or onError), and cycles the caller cannot break because none of their nodes waits for input.
 */
export function checkFlowGraph(flow: Flow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const ids = Object.keys(flow.nodes);
  const has = (id: string) => Object.prototype.hasOwnProperty.call(flow.nodes, id);
  if (!has(flow.start)) problems.push({ field: 'start', message: `start node '${flow.start}' does not exist` });
  if (flow.onError !== undefined && !has(flow.onError)) problems.push({ field: 'onError', message: `onError node '${flow.onError}' does not exist` });
  for (const id of ids) {
    for (const e of edgesOf(flow.nodes[id])) {
      if (!has(e.target)) problems.push({ node: id, field: e.field, message: `goes to unknown node '${e.target}'` });
    }
  }

  const succ = (id: string) => edgesOf(flow.nodes[id]).map((e) => e.target).filter(has);
  const reached = new Set<string>();
  const todo = [flow.start, ...(flow.onError ? [flow.onError] : [])].filter(has);
  while (todo.length) {
    const id = todo.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    todo.push(...succ(id));
  }
  for (const id of ids) if (!reached.has(id)) problems.push({ node: id, message: 'is unreachable from the start node' });

  // A cycle made only of nodes that do not wait for the caller spins until maxSteps: reject it up front.
  const passive = ids.filter((id) => !waitsForInput(flow.nodes[id]));
  const passiveSet = new Set(passive);
  const passiveSucc = (id: string) => succ(id).filter((t) => passiveSet.has(t));
  for (const comp of stronglyConnected(passive, passiveSucc)) {
    const selfLoop = comp.length === 1 && passiveSucc(comp[0]).includes(comp[0]);
    if (comp.length > 1 || selfLoop) {
      const nodes = comp.sort().join(', ');
      problems.push({ node: comp[0], message: `loop without caller input through ${nodes} (add a gather or menu node to the loop)` });
    }
  }
  return problems;
}

export type FlowCheck = { ok: true; flow: Flow } | { ok: false; error: FlowValidationError };

/** Schema + graph validation; zod issues are translated into node-level problems too. */
export function validateFlow(input: unknown): FlowCheck {
  const parsed = flowSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(issueToProblem);
    return { ok: false, error: new FlowValidationError(problems, parsed.error.issues) };
  }
  const problems = checkFlowGraph(parsed.data);
  if (problems.length) return { ok: false, error: new FlowValidationError(problems) };
  return { ok: true, flow: parsed.data };
}

/** Throws FlowValidationError; returns the parsed flow with defaults applied. */
export function parseFlow(input: unknown): Flow {
  const r = validateFlow(input);
  if (!r.ok) throw r.error;
  return r.flow;
}

/** `['choices', 1, 'key']` -> `choices[1].key`, the same notation the graph checks use. */
function fieldPath(parts: PropertyKey[]): string {
  return parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function issueToProblem(issue: z.core.$ZodIssue): FlowProblem {
  const path = issue.path.map(String);
  if (path[0] === 'nodes' && path.length >= 2) {
    const field = fieldPath(issue.path.slice(2));
    let message = issue.message;
    if (issue.code === 'invalid_union' && path.length === 2) message = `unknown or missing node kind (${issue.message})`;
    return { node: path[1], ...(field ? { field } : {}), message };
  }
  return { ...(path.length ? { field: fieldPath(issue.path) } : {}), message: issue.message };
}
