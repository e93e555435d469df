import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IvrAgentlessRunner } from '../../../src/ivr/agentless-runner.js';
import { IvrStore } from '../../../src/ivr/ivr-store.js';
import { testRedis } from '../../support/redis.js';
import { FakeChannel } from './fakes.js';
import { mkDeps } from './helpers.js';

/** The dialer's agentless (payment reminder) campaigns run stored flows through this adapter. */
describe('IvrAgentlessRunner', () => {
  const r = testRedis();
  const store = new IvrStore(r.redis, r.keys);
  beforeAll(async () => {
    await store.createFlow({
      id: 'reminder', name: 'payment reminder', start: 'say',
      nodes: {
        say: {
          kind: 'say',
          parts: [{ prompt: 'payment-reminder' }, { currency: '{{lead.amount}}', code: 'CNY' }, { prompt: 'is-due-on' }, { date: '{{lead.due}}' }],
          next: 'ask',
        },
        ask: {
          kind: 'menu', prompts: ['press-1-confirm-9-opt-out'],
          choices: [{ key: '1', next: 'bye', set: { result: 'confirmed' } }, { key: '9', next: 'bye', set: { optOut: 'true', result: 'opt-out' } }],
          onFailure: 'bye',
        },
        bye: { kind: 'hangup', prompts: ['goodbye'] },
      },
    });
  });
  afterAll(async () => r.cleanup());

  const pop = { campaignId: 'c1', leadId: 'L1', phoneMasked: '****1111', fields: { amount: '380.00', due: '2026-12-01' }, attempts: 1, name: 'Zhang San' };
  const runner = new IvrAgentlessRunner(store, mkDeps());

  it('reads the lead fields and reports a confirmation', async () => {
    const ch = new FakeChannel({ inputs: ['1'] });
    const res = await runner.run(ch, { flowId: 'reminder', campaignId: 'c1', leadId: 'L1', pop });
    expect(res).toEqual({ completed: true, optOut: false, result: 'confirmed' });
    expect(ch.played[0]).toEqual(['en/payment-reminder.wav', 'en/money:380:CNY', 'en/is-due-on.wav', 'en/date:2026-12-01']);
  });

  it('reports an opt-out, and an incomplete call when the customer hangs up', async () => {
    expect(await runner.run(new FakeChannel({ inputs: ['9'] }), { flowId: 'reminder', campaignId: 'c1', leadId: 'L1', pop }))
      .toEqual({ completed: true, optOut: true, result: 'opt-out' });
    expect(await runner.run(new FakeChannel({ inputs: [{ hangup: true }] }), { flowId: 'reminder', campaignId: 'c1', leadId: 'L1', pop }))
      .toEqual({ completed: false, optOut: false, result: 'caller-hangup' });
    await expect(runner.run(new FakeChannel(), { flowId: 'nope', campaignId: 'c1', leadId: 'L1', pop })).rejects.toThrow(/not found/);
  });
});
