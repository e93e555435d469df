import { collectWithRetries } from '../input-attempts.js';
import { failTo, type Task } from '../task.js';

/** Collects digits into a variable, with length/pattern checks and invalid/timeout retries. */
export const gatherTask: Task<'gather'> = {
  kind: 'gather',
  async run(node, ctx) {
    const pattern = node.pattern !== undefined ? new RegExp(`^(?:${node.pattern})$`) : undefined;
    const r = await collectWithRetries(ctx, {
      prompts: node.prompts,
      invalidPrompts: node.invalidPrompts,
      timeoutPrompts: node.timeoutPrompts,
      retries: node.retries,
      secret: node.secret,
      collect: {
        min: node.min,
        max: node.max,
        finishOnKey: node.finishOnKey,
        firstDigitTimeoutMs: node.firstDigitTimeoutMs,
        interDigitTimeoutMs: node.interDigitTimeoutMs,
      },
      accept: (d) => d.length >= node.min && d.length <= node.max && (!pattern || pattern.test(d)),
    });
    if (!r.ok) {
      ctx.trace.result = r.reason;
      if (r.reason === 'hangup') return { end: 'caller-hangup' };
      return failTo(node.onFailure, `gather ${r.reason} after ${node.retries + 1} attempts`);
    }
    ctx.vars[node.var] = r.digits;
    if (!node.secret) ctx.vars.digits = r.digits;
    ctx.trace.result = 'ok';
    return { next: node.next };
  },
};
