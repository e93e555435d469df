import type { Task } from '../task.js';

/** Sets variables from templates (all rendered against the values before this node) and/or the language. */
export const setVarTask: Task<'set-var'> = {
  kind: 'set-var',
  async run(node, ctx) {
    const rendered = Object.entries(node.set).map(([k, v]) => [k, ctx.render(v)] as const);
    for (const [k, v] of rendered) ctx.vars[k] = v;
    if (node.lang) ctx.lang = node.lang;
    return { next: node.next };
  },
};
