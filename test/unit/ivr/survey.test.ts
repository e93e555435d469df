import { afterAll, describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/ivr/session.js';
import { flowSchema } from '../../../src/ivr/flow-schema.js';
import type { QueueOutcome } from '../../../src/ivr/ports.js';
import { KpiCounters } from '../../../src/kpi/kpi-counters.js';
import { testRedis } from '../../support/redis.js';
import { FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

/** The survey node after an agent call, recording into the real KPI counters (real Redis). */
const r = testRedis();
const counters = new KpiCounters(r.redis, r.keys);
afterAll(() => r.cleanup());

const completed: QueueOutcome = { outcome: 'completed', queueId: 'q', agentId: 'A7', by: 'agent', waitMs: 1000, talkMs: 60_000 };
const flow = mkFlow({
  q: { kind: 'enqueue', queueId: 'q', afterAgent: 'ask' },
  ask: { kind: 'gather', prompts: ['survey.ask'], var: 'csat', min: 1, max: 1, next: 'rec', onFailure: 'bye' },
  rec: { kind: 'survey', score: '{{csat}}', prompts: ['survey.thanks'], next: 'bye', onFailure: 'bad' },
  bye: { kind: 'hangup' },
  bad: { kind: 'hangup', prompts: ['survey.invalid'] },
});
const deps = () => mkDeps({ queue: { enqueue: async () => completed }, surveys: counters });
const today = () => new Date().toISOString().slice(0, 10);

describe('survey node', () => {
  it('the schema accepts it with the agent defaulting to queue.agentId', () => {
    expect(flowSchema.parse(flow).nodes.rec).toMatchObject({ kind: 'survey', agentId: '{{queue.agentId}}' });
  });

  it("records the caller's score for the agent who took the call, once per call, and thanks them", async () => {
    const ch = new FakeChannel({ inputs: ['4'] });
    const res = await runFlow(flow, ch, deps());
    expect(res.path).toEqual(['q', 'ask', 'rec', 'bye']);
    expect(res.vars['survey.score']).toBe('4');
    expect(ch.files).toContain('en/survey.thanks.wav');
    const [day] = await counters.agentDays('A7', [today()]);
    expect(day).toMatchObject({ surveyCount: 1, surveySum: 4 });
    // the same call scoring again does not count twice
    expect(await counters.recordSurvey({ callId: ch.callId, agentId: 'A7', score: 1 })).toBe('duplicate');
    expect((await counters.agentDays('A7', [today()]))[0]).toMatchObject({ surveyCount: 1, surveySum: 4 });
  });

  it('a key outside 1-5 goes to onFailure and records nothing', async () => {
    const ch = new FakeChannel({ inputs: ['9'] });
    const res = await runFlow(flow, ch, deps());
    expect(res.path).toEqual(['q', 'ask', 'rec', 'bad']);
    expect(res.vars['survey.error']).toMatch(/not 1-5/);
    expect((await counters.agentDays('A7', [today()]))[0]).toMatchObject({ surveyCount: 1, surveySum: 4 });
  });
});
