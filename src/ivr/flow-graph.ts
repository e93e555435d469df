import type { Flow, FlowNode } from './flow-schema.js';

export interface FlowEdge {
  /** Which field of the node holds the reference, e.g. `next`, `choices[2].next`, `rules[0].next`. */
  field: string;
  target: string;
}

/** Every node id a node can continue to. */
export function edgesOf(node: FlowNode): FlowEdge[] {
  const out: FlowEdge[] = [];
  const add = (field: string, target: string | undefined) => {
    if (target !== undefined) out.push({ field, target });
  };
  switch (node.kind) {
    case 'play':
    case 'say':
    case 'set-var':
      add('next', node.next);
      break;
    case 'gather':
      add('next', node.next);
      add('onFailure', node.onFailure);
      break;
    case 'menu':
      node.choices.forEach((c, i) => add(`choices[${i}].next`, c.next));
      add('onFailure', node.onFailure);
      break;
    case 'branch':
      node.rules.forEach((r, i) => add(`rules[${i}].next`, r.next));
      add('otherwise', node.otherwise);
      break;
    case 'http-lookup':
    case 'request-callback':
    case 'survey':
      add('next', node.next);
      add('onFailure', node.onFailure);
      break;
    case 'enqueue':
      add('onNoAgent', node.onNoAgent);
      add('afterAgent', node.afterAgent);
      break;
    case 'transfer':
      add('onFailure', node.onFailure);
      break;
    case 'hangup':
      break;
  }
  return out;
}

/** Nodes that wait for the caller's keys: a cycle through one of them cannot spin without the caller. */
export function waitsForInput(node: FlowNode): boolean {
  return node.kind === 'gather' || node.kind === 'menu';
}

/** Calendars referenced by branch rules (they must exist when the flow is saved). */
export function calendarsOf(flow: Pick<Flow, 'nodes'>): string[] {
  const ids = new Set<string>();
  for (const node of Object.values(flow.nodes)) {
    if (node.kind !== 'branch') continue;
    for (const r of node.rules) if ('calendar' in r.when) ids.add(r.when.calendar);
  }
  return [...ids];
}

/** Strongly connected components (Tarjan), iterative over the given adjacency. */
export function stronglyConnected(ids: string[], next: (id: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; succ: string[]; i: number }[] = [];
    const visit = (id: string) => {
      index.set(id, counter);
      low.set(id, counter++);
      stack.push(id);
      onStack.add(id);
      work.push({ id, succ: next(id), i: 0 });
    };
    visit(root);
    while (work.length) {
      const top = work[work.length - 1];
      if (top.i < top.succ.length) {
        const s = top.succ[top.i++];
        if (!index.has(s)) visit(s);
        else if (onStack.has(s)) low.set(top.id, Math.min(low.get(top.id)!, index.get(s)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) === index.get(top.id)) {
        const comp: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          comp.push(n);
        } while (n !== top.id);
        result.push(comp);
      }
    }
  }
  return result;
}
