import type { Task } from '../task.js';

/** Plays prompt keys in the session language. */
export const playTask: Task<'play'> = {
  kind: 'play',
  async run(node, ctx) {
    const r = await ctx.play(ctx.prompts(node.prompts), { bargeIn: node.bargeIn });
    if (r.interrupted) ctx.trace.result = 'interrupted';
    return { next: node.next };
  },
};
