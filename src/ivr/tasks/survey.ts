import { failTo, type Task } from '../task.js';

/**
 * Post-call satisfaction survey: records the caller's score (1-5) for the agent who just talked to them
 * (`queue.agentId` after an enqueue's afterAgent), once per call, then thanks the caller.
 */
export const surveyTask: Task<'survey'> = {
  kind: 'survey',
  async run(node, ctx) {
    const surveys = ctx.deps.surveys;
    if (!surveys) throw new Error('survey: no survey recorder configured');
    const fail = (reason: string) => {
      ctx.vars['survey.error'] = reason;
      ctx.trace.result = reason;
      return failTo(node.onFailure, `survey: ${reason}`);
    };
    const raw = ctx.render(node.score).trim();
    const score = Number(raw);
    if (!/^[1-5]$/.test(raw)) return fail(`score '${raw}' is not 1-5`);
    const agentId = ctx.render(node.agentId).trim();
    if (agentId === '') return fail('no agent to score');
    try {
      const r = await surveys.recordSurvey({ callId: ctx.call.callId, agentId, score });
      ctx.vars['survey.score'] = raw;
      ctx.trace.result = r;
    } catch (err) {
      ctx.log.warn({ err, agentId }, 'ivr survey score not recorded');
      return fail(`not recorded: ${(err as Error).message}`);
    }
    await ctx.play(ctx.prompts(node.prompts));
    return { next: node.next };
  },
};
