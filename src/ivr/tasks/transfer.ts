import { failTo, type Task } from '../task.js';

/** Bridges the caller to an agent's softphone or an external number; failure continues at onFailure. */
export const transferTask: Task<'transfer'> = {
  kind: 'transfer',
  async run(node, ctx) {
    const isAgent = 'agent' in node.to;
    const resolver = isAgent ? ctx.deps.agents : ctx.deps.dialPlan;
    if (!resolver) throw new Error(`transfer: no ${isAgent ? 'agent directory' : 'dial plan'} configured`);
    const who = ctx.render('agent' in node.to ? node.to.agent : node.to.number).trim();
    let uri: string | null = null;
    if (who !== '') uri = isAgent ? await ctx.deps.agents!.contactFor(who) : await ctx.deps.dialPlan!.externalUri(who);
    if (!uri) {
      ctx.vars['transfer.outcome'] = 'unknown-target';
      ctx.trace.result = 'unknown-target';
      return failTo(node.onFailure, `transfer: no route to ${isAgent ? 'agent' : 'number'} '${who}'`);
    }
    await ctx.play(ctx.prompts(node.prompts));
    if (ctx.call.ended) return { end: 'caller-hangup' };
    const callerId = node.callerId !== undefined ? ctx.render(node.callerId) : undefined;
    const r = await ctx.call.bridge({
      uri,
      ...(callerId ? { callerId } : {}),
      headers: { 'X-Call-Id': ctx.call.callId, 'X-IVR-Flow': ctx.flow.id },
      ringTimeoutMs: node.ringTimeoutMs,
    });
    ctx.vars['transfer.outcome'] = r.outcome;
    ctx.trace.result = r.outcome;
    if (r.outcome === 'bridged') return { end: 'transferred', detail: who };
    if (r.outcome === 'caller-gone' || ctx.call.ended) return { end: 'caller-hangup' };
    return failTo(node.onFailure, `transfer to '${who}': ${r.outcome}`);
  },
};
