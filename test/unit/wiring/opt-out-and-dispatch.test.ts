import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { DncStore } from '../../../src/compliance/dnc-store.js';
import { dncOptOutSink } from '../../../src/wiring/opt-out.js';
import { queueAnyAgentDispatch } from '../../../src/wiring/any-agent-dispatch.js';
import { dialerEventPublisher } from '../../../src/wiring/dialer-events.js';
import { FakeBus, FakeOriginator, FakeQueueEntry } from '../../support/scheduler-fakes.js';
import { testRedis } from '../../support/redis.js';

const silent = pino({ level: 'silent' });

describe('dncOptOutSink', () => {
  const r = testRedis();
  afterAll(() => r.cleanup());
  it("puts the number on the portfolio's DNC list only", async () => {
    const dnc = new DncStore(r.redis, r.keys);
    await dncOptOutSink(dnc).optOut('+8613800138000', 'loans', 'reminder key 3');
    expect(await dnc.check('+8613800138000', 'loans')).toMatchObject({ listed: true, entry: { source: 'ivr-opt-out', reason: 'reminder key 3' } });
    expect(await dnc.check('+8613800138000', 'other')).toEqual({ listed: false });
  });
});

describe('queueAnyAgentDispatch', () => {
  it('dials the customer and queues the answered call in the callback queue, ahead of fresh calls', async () => {
    const originator = new FakeOriginator();
    originator.script = [[], 'busy'];
    const queue = new FakeQueueEntry();
    const d = queueAnyAgentDispatch({ originator, queue, callerId: '+861000000000', defaultQueueId: 'callbacks', log: silent });
    const offer = { callbackId: 'cb1', phone: '+8613800138000', leadId: 'L1', dueAt: 0 };
    expect(await d.queueForAnyAgent(offer)).toEqual({ outcome: 'queued', queueOutcome: 'completed' });
    expect(queue.entries[0].opts).toMatchObject({ queueId: 'callbacks', leadId: 'L1', vars: { callbackId: 'cb1' } });
    expect(queue.entries[0].opts.priority).toBeGreaterThan(0);
    expect(originator.channels[0].hangups).toBe(1);
    expect(await d.queueForAnyAgent({ ...offer, queueId: 'vip' })).toEqual({ outcome: 'busy' });
    expect(queue.entries).toHaveLength(1);
  });
});

describe('dialerEventPublisher', () => {
  it('publishes on the campaign topic, and on the agent topic when an agent is involved', async () => {
    const bus = new FakeBus();
    const pub = dialerEventPublisher(bus, silent);
    pub({ type: 'dial', campaignId: 'c1', leadId: 'L1' });
    pub({ type: 'connected', campaignId: 'c1', leadId: 'L1', agentId: 'a1', callId: 'x' });
    await new Promise((r) => setTimeout(r, 5));
    expect(bus.events.map((e) => [e.topic, e.event.type])).toEqual([
      ['campaign:c1', 'dialer.dial'], ['campaign:c1', 'dialer.connected'], ['agent:a1', 'dialer.connected'],
    ]);
  });
});
