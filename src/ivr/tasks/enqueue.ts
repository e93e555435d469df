import type { QueueOutcome } from '../ports.js';
import { failTo, type Task } from '../task.js';

/**
 * Hands the caller to an ACD queue (src/queue, injected as QueueEntry) with the session variables and
 * entered digits for the screen pop. The queue resolves once an agent has talked to the caller
 * ('completed': the flow ends, or continues at afterAgent if the caller is still there) or gives up:
 * then `queue.outcome` (+ `queue.action`, `queue.callbackRequested`) are set and the flow continues at onNoAgent.
 */
export const enqueueTask: Task<'enqueue'> = {
  kind: 'enqueue',
  async run(node, ctx) {
    const queue = ctx.deps.queue;
    if (!queue) throw new Error('enqueue: no queue service configured');
    const digits = ctx.history.flatMap((t) => (t.kind === 'gather' || t.kind === 'menu') && t.digits?.length ? [t.digits[t.digits.length - 1]] : [])
      .filter((d) => d !== '' && !/^\*+$/.test(d));
    const skills = node.skills ? Object.fromEntries(Object.entries(node.skills).map(([k, v]) => [ctx.render(k), v])) : undefined;
    const leadId = node.leadId !== undefined ? ctx.render(node.leadId).trim() : '';
    const first = await queue.enqueue(ctx.call, {
      queueId: node.queueId,
      priority: node.priority,
      // The IVR path travels with the vars so the agent's screen pop shows how the caller got here.
      vars: { ...ctx.publicVars(), 'ivr.path': ctx.history.map((t) => t.node).join('>') },
      digits: digits.join(' '),
      ...(leadId ? { leadId } : {}),
      ...(skills ? { skills } : {}),
    });
    const r = finalOutcome(first);
    ctx.vars['queue.outcome'] = r.outcome;
    ctx.trace.result = r.outcome;
    switch (r.outcome) {
      case 'completed':
        ctx.vars['queue.agentId'] = r.agentId;
        if (node.afterAgent !== undefined && !ctx.call.ended) return { next: node.afterAgent };
        return { end: 'queued', detail: r.agentId };
      case 'abandoned':
        return { end: 'caller-hangup' };
      case 'exit-key':
        ctx.vars['queue.key'] = r.key;
        ctx.vars['queue.callbackRequested'] = String(r.callbackRequested);
        break;
      case 'timeout':
      case 'empty':
        ctx.vars['queue.action'] = r.action;
        ctx.vars['queue.callbackRequested'] = String(r.callbackRequested ?? false);
        break;
      case 'error':
        ctx.vars['queue.error'] = r.reason;
        break;
    }
    if (ctx.call.ended) return { end: 'caller-hangup' };
    return failTo(node.onNoAgent, `queue ${node.queueId}: ${r.outcome}${r.outcome === 'error' ? ` (${r.reason})` : ''}`);
  },
};

/** Overflow into another queue nests the outcome: the innermost one is what happened to the caller. */
function finalOutcome(o: QueueOutcome): QueueOutcome {
  let cur = o;
  while ((cur.outcome === 'timeout' || cur.outcome === 'empty') && cur.action === 'queue' && cur.next) cur = cur.next;
  return cur;
}
