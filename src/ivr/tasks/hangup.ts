import type { Task } from '../task.js';

/** Plays the goodbye prompts, then hangs up. */
export const hangupTask: Task<'hangup'> = {
  kind: 'hangup',
  async run(node, ctx) {
    await ctx.play(ctx.prompts(node.prompts));
    if (!ctx.call.ended) await ctx.call.hangup();
    return { end: 'hangup' };
  },
};
