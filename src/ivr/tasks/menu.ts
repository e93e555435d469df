import { collectWithRetries } from '../input-attempts.js';
import { failTo, type Task } from '../task.js';

/** One key picks the next node; a choice may switch the session language and set variables. */
export const menuTask: Task<'menu'> = {
  kind: 'menu',
  async run(node, ctx) {
    const keys = new Set(node.choices.map((c) => c.key));
    const r = await collectWithRetries(ctx, {
      prompts: node.prompts,
      invalidPrompts: node.invalidPrompts,
      timeoutPrompts: node.timeoutPrompts,
      retries: node.retries,
      collect: { min: 1, max: 1, firstDigitTimeoutMs: node.timeoutMs, interDigitTimeoutMs: node.timeoutMs },
      accept: (d) => keys.has(d),
    });
    if (!r.ok) {
      ctx.trace.result = r.reason;
      if (r.reason === 'hangup') return { end: 'caller-hangup' };
      return failTo(node.onFailure, `menu ${r.reason} after ${node.retries + 1} attempts`);
    }
    const choice = node.choices.find((c) => c.key === r.digits)!;
    ctx.vars.digits = r.digits;
    for (const [k, v] of Object.entries(choice.set ?? {})) ctx.vars[k] = ctx.render(v);
    if (choice.lang) {
      ctx.lang = choice.lang;
      ctx.trace.result = `key ${choice.key}, lang ${choice.lang}`;
    } else ctx.trace.result = `key ${choice.key}`;
    return { next: choice.next };
  },
};
