import { failTo, type Task } from '../task.js';

/** Asks the callback scheduler to call the caller back (now-ish or at `when`), then confirms. */
export const requestCallbackTask: Task<'request-callback'> = {
  kind: 'request-callback',
  async run(node, ctx) {
    const scheduler = ctx.deps.callbacks;
    if (!scheduler) throw new Error('request-callback: no callback scheduler configured');
    const phone = ctx.render(node.phone).trim();
    if (phone === '') return failTo(node.onFailure, 'request-callback: no phone number');
    let when: Date | undefined;
    const rawWhen = node.when !== undefined ? ctx.render(node.when).trim() : '';
    if (rawWhen !== '') {
      when = new Date(rawWhen);
      if (Number.isNaN(when.getTime())) return failTo(node.onFailure, `request-callback: '${rawWhen}' is not a date`);
    }
    const leadId = node.leadId !== undefined ? ctx.render(node.leadId).trim() : '';
    try {
      const r = await scheduler.requestCallback({
        phone,
        ...(leadId ? { leadId } : {}),
        ...(node.queueId ? { queueId: node.queueId } : {}),
        ...(when ? { when } : {}),
        vars: ctx.publicVars(),
      });
      ctx.vars['callback.id'] = r.id;
      if (r.scheduledFor) ctx.vars['callback.at'] = r.scheduledFor.toISOString();
      ctx.trace.result = `callback ${r.id}`;
    } catch (err) {
      ctx.vars['callback.error'] = (err as Error).message;
      ctx.trace.result = 'callback failed';
      ctx.log.warn({ err }, 'ivr callback request failed');
      return failTo(node.onFailure, `request-callback: ${(err as Error).message}`);
    }
    await ctx.play(ctx.prompts(node.prompts));
    return { next: node.next };
  },
};
