import { describe, expect, it } from 'vitest';
import { trunkDialPlan } from '../../../src/ivr/dial-plan.js';
import { runFlow } from '../../../src/ivr/session.js';
import type { CallbackRequest, EnqueueOptions, QueueOutcome } from '../../../src/ivr/ports.js';
import { FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

const bye = { kind: 'hangup' as const, prompts: ['goodbye'] };
const completed = (agentId: string, by: 'agent' | 'caller' = 'caller'): QueueOutcome => ({ outcome: 'completed', queueId: 'q', agentId, by, waitMs: 1000, talkMs: 60_000 });

describe('IVR tasks on a scripted channel', () => {
  it('play then hangup: prompts in order, the flow hangs up', async () => {
    const ch = new FakeChannel();
    const r = await runFlow(mkFlow({ hello: { kind: 'play', prompts: ['welcome', 'company.info'], next: 'bye' }, bye }), ch, mkDeps());
    expect(ch.played).toEqual([['en/welcome.wav', 'en/company.info.wav'], ['en/goodbye.wav']]);
    expect(r.outcome).toBe('hangup');
    expect(r.path).toEqual(['hello', 'bye']);
    expect(ch.localHangups).toBe(1);
    expect(ch.ended).toBe(true);
  });

  it('say reads numbers, digit strings, dates and amounts from templated variables', async () => {
    const ch = new FakeChannel();
    const flow = mkFlow({
      s: {
        kind: 'say',
        parts: [{ prompt: 'you-owe' }, { currency: '{{amount}}', code: 'CNY' }, { number: '{{count}}' }, { digits: '{{policy}}' }, { date: '{{due}}' }],
        next: 'bye',
      },
      bye,
    }, { vars: { amount: '1,234.50', count: '7', policy: '408', due: '2026-12-01' } });
    await runFlow(flow, ch, mkDeps());
    expect(ch.played[0]).toEqual(['en/you-owe.wav', 'en/money:1234.5:CNY', 'en/num:7', 'en/digit:4', 'en/digit:0', 'en/digit:8', 'en/date:2026-12-01']);
  });

  it('say with a value that is not a number fails over to onError', async () => {
    const ch = new FakeChannel();
    const flow = mkFlow({ s: { kind: 'say', parts: [{ number: '{{missing}}' }], next: 'bye' }, bye, oops: { kind: 'hangup', prompts: ['sorry'] } }, { onError: 'oops' });
    const r = await runFlow(flow, ch, mkDeps());
    expect(r.path).toEqual(['s', 'oops']);
    expect(r.vars['error.node']).toBe('s');
    expect(r.vars['error.message']).toMatch(/not a number/);
    expect(ch.files).toEqual(['en/sorry.wav']);
  });

  describe('gather', () => {
    const gatherFlow = (extra: Record<string, unknown> = {}) => mkFlow({
      g: { kind: 'gather', prompts: ['enter'], var: 'acct', min: 4, max: 6, finishOnKey: '#', next: 'ok', onFailure: 'failed', ...extra },
      ok: { kind: 'hangup', prompts: ['thanks'] },
      failed: { kind: 'hangup', prompts: ['failed'] },
    });

    it('stores digits ended by finishOnKey, with the collect options from the node', async () => {
      const ch = new FakeChannel({ inputs: ['1234#'] });
      const r = await runFlow(gatherFlow(), ch, mkDeps());
      expect(r.vars.acct).toBe('1234');
      expect(r.vars.digits).toBe('1234');
      expect(r.path).toEqual(['g', 'ok']);
      expect(ch.collects[0]).toMatchObject({ min: 4, max: 6, finishOnKey: '#', firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 3000 });
      expect(ch.playOpts[0]).toEqual({ bargeIn: true });
      expect(r.trace[0]).toMatchObject({ node: 'g', kind: 'gather', digits: ['1234'], result: 'ok' });
    });

    it('stops at max digits; leftovers stay buffered for the next input', async () => {
      const ch = new FakeChannel({ inputs: ['12345678'] });
      const flow = mkFlow({
        a: { kind: 'gather', var: 'x', max: 6, next: 'b' },
        b: { kind: 'gather', var: 'y', max: 2, next: 'bye' },
        bye,
      });
      const r = await runFlow(flow, ch, mkDeps());
      expect([r.vars.x, r.vars.y]).toEqual(['123456', '78']);
    });

    it('too short, then a timeout, then valid: invalid and timeout prompts before the retries', async () => {
      const ch = new FakeChannel({ inputs: ['12#', { silence: true }, '98765#'] });
      const r = await runFlow(gatherFlow(), ch, mkDeps());
      expect(r.vars.acct).toBe('98765');
      expect(ch.played).toEqual([
        ['en/enter.wav'],
        ['en/invalid-entry.wav', 'en/enter.wav'],
        ['en/no-input.wav', 'en/enter.wav'],
        ['en/thanks.wav'],
      ]);
      expect(r.trace[0].digits).toEqual(['12', '', '98765']);
    });

    it('a pattern rejects entries that do not match in full', async () => {
      const ch = new FakeChannel({ inputs: ['9999#', '1234#'] });
      const r = await runFlow(gatherFlow({ pattern: '1[0-9]+' }), ch, mkDeps());
      expect(r.vars.acct).toBe('1234');
      expect(r.trace[0].digits).toEqual(['9999', '1234']);
    });

    it('retries exhausted -> error prompt once more, then onFailure', async () => {
      const ch = new FakeChannel({ inputs: ['1#', '2#', '3#'] });
      const r = await runFlow(gatherFlow({ retries: 2 }), ch, mkDeps());
      expect(r.path).toEqual(['g', 'failed']);
      expect(ch.collects).toHaveLength(3);
      expect(ch.played.at(-2)).toEqual(['en/invalid-entry.wav']);
      expect(r.trace[0].result).toBe('invalid');
      expect(r.vars.acct).toBeUndefined();
    });

    it('without onFailure and onError: error prompt and a polite hangup', async () => {
      const ch = new FakeChannel({ inputs: [] });
      const flow = mkFlow({ g: { kind: 'gather', prompts: ['enter'], var: 'x', max: 3, retries: 1, next: 'bye' }, bye });
      const r = await runFlow(flow, ch, mkDeps());
      expect(r.outcome).toBe('error');
      expect(r.detail).toMatch(/gather timeout after 2 attempts/);
      expect(ch.played.at(-1)).toEqual(['en/goodbye.wav']);
      expect(ch.localHangups).toBe(1);
    });

    it('secret entries (PINs) are masked in the trace and kept out of the result and downstream vars', async () => {
      const ch = new FakeChannel({ inputs: ['4321#'] });
      let queued: EnqueueOptions | undefined;
      const flow = mkFlow({
        pin: { kind: 'gather', var: 'pin', max: 6, finishOnKey: '#', secret: true, next: 'check' },
        check: { kind: 'branch', rules: [{ when: { var: 'pin', op: 'eq', value: '4321' }, next: 'q' }], otherwise: 'bye' },
        q: { kind: 'enqueue', queueId: 'staff' },
        bye,
      });
      const r = await runFlow(flow, ch, mkDeps({
        queue: { enqueue: async (_c, req) => ((queued = req), completed('a1')) },
      }));
      expect(r.path).toEqual(['pin', 'check', 'q']);
      expect(r.trace[0].digits).toEqual(['****']);
      expect(r.vars.pin).toBeUndefined();
      expect(r.vars.digits).toBeUndefined();
      expect(JSON.stringify(queued)).not.toContain('4321');
    });

    it('a caller hangup during input ends the session at once', async () => {
      const ch = new FakeChannel({ inputs: ['1', { hangup: true }] });
      const r = await runFlow(gatherFlow(), ch, mkDeps());
      expect(r.outcome).toBe('caller-hangup');
      expect(r.path).toEqual(['g']);
      expect(ch.localHangups).toBe(0);
    });
  });

  describe('menu', () => {
    const menuFlow = () => mkFlow({
      lang: {
        kind: 'menu', prompts: ['language.choose'],
        choices: [{ key: '1', lang: 'zh', next: 'main' }, { key: '2', lang: 'en', next: 'main' }],
      },
      main: {
        kind: 'menu', prompts: ['main.menu'], timeoutMs: 2500,
        choices: [{ key: '1', next: 'info', set: { topic: 'info-{{caller}}' } }, { key: '0', next: 'agent' }, { key: '*', next: 'lang' }],
        onFailure: 'agent',
      },
      info: { kind: 'play', prompts: ['company.info'], next: 'main' },
      agent: { kind: 'hangup', prompts: ['agent'] },
    });

    it('a language menu switches the prompts; choices set variables and loop back', async () => {
      const ch = new FakeChannel({ inputs: ['1', '1', '*', '2', '0'] });
      const r = await runFlow(menuFlow(), ch, mkDeps());
      expect(r.path).toEqual(['lang', 'main', 'info', 'main', 'lang', 'main', 'agent']);
      expect(ch.files).toEqual([
        'en/language.choose.wav', 'zh/main.menu.wav', 'zh/company.info.wav', 'zh/main.menu.wav',
        'zh/language.choose.wav', 'en/main.menu.wav', 'en/agent.wav',
      ]);
      expect(r.vars.topic).toBe('info-+8613800001111');
      expect(r.lang).toBe('en');
      expect(ch.collects[1]).toMatchObject({ min: 1, max: 1, firstDigitTimeoutMs: 2500 });
    });

    it('an invalid key plays the invalid prompt and asks again', async () => {
      const ch = new FakeChannel({ inputs: ['2', '7', '0'] });
      const r = await runFlow(menuFlow(), ch, mkDeps());
      expect(r.path).toEqual(['lang', 'main', 'agent']);
      expect(ch.played[2]).toEqual(['en/invalid-entry.wav', 'en/main.menu.wav']);
      expect(r.trace[1]).toMatchObject({ digits: ['7', '0'], result: 'key 0' });
    });

    it('no key at all -> timeout prompts, then onFailure', async () => {
      const ch = new FakeChannel({ inputs: ['2'] });
      const r = await runFlow(menuFlow(), ch, mkDeps());
      expect(r.path).toEqual(['lang', 'main', 'agent']);
      expect(ch.played.filter((p) => p[0] === 'en/no-input.wav')).toHaveLength(3);
      expect(r.trace[1].result).toBe('timeout');
    });
  });

  it('branch on variables: eq, in, gt, matches, missing, otherwise', async () => {
    const run = async (vars: Record<string, string>) => {
      const flow = mkFlow({
        b: {
          kind: 'branch',
          rules: [
            { when: { var: 'tier', op: 'eq', value: 'gold' }, next: 'gold' },
            { when: { var: 'region', op: 'in', value: 'sh, bj' }, next: 'city' },
            { when: { var: 'balance', op: 'gt', value: '{{limit}}' }, next: 'owes' },
            { when: { var: 'caller', op: 'matches', value: '^\\+852' }, next: 'hk' },
            { when: { var: 'name', op: 'missing' }, next: 'anon' },
          ],
          otherwise: 'other',
        },
        gold: bye, city: bye, owes: bye, hk: bye, anon: bye, other: bye,
      }, { vars: { limit: '100' } });
      return (await runFlow(flow, new FakeChannel(), mkDeps(), { vars })).path[1];
    };
    expect(await run({ tier: 'gold', name: 'x' })).toBe('gold');
    expect(await run({ region: 'bj', name: 'x' })).toBe('city');
    expect(await run({ balance: '150', name: 'x' })).toBe('owes');
    expect(await run({ balance: '50', name: 'x' })).toBe('other');
    expect(await run({ balance: 'n/a' })).toBe('anon');
    expect(await run({ caller: '+85291234567', name: 'x' })).toBe('hk');
  });

  it('set-var renders templates and sets the language', async () => {
    const ch = new FakeChannel();
    const flow = mkFlow({
      s: { kind: 'set-var', set: { greeting: 'hi {{caller}} on {{did}}', copy: '{{greeting}}' }, lang: 'zh', next: 'p' },
      p: { kind: 'play', prompts: ['hello'], next: 'bye' },
      bye,
    });
    const r = await runFlow(flow, ch, mkDeps());
    expect(r.vars.greeting).toBe('hi +8613800001111 on +862140001000');
    expect(r.vars.copy).toBe('');
    expect(r.vars.lang).toBe('zh');
    expect(ch.played[0]).toEqual(['zh/hello.wav']);
  });

  describe('enqueue', () => {
    const qFlow = () => mkFlow({
      m: { kind: 'menu', prompts: ['main'], choices: [{ key: '0', next: 'q' }] },
      q: { kind: 'enqueue', queueId: 'service', priority: 5, skills: { 'lang-{{lang}}': 1 }, onNoAgent: 'sorry' },
      sorry: { kind: 'hangup', prompts: ['no-agents'] },
    });

    it('served by an agent -> the session ends as queued; the queue got vars, digits and skills for routing and the screen pop', async () => {
      const ch = new FakeChannel({ inputs: ['0'] });
      const calls: EnqueueOptions[] = [];
      const r = await runFlow(qFlow(), ch, mkDeps({
        queue: { enqueue: async (c, req) => (calls.push(req), expect(c).toBe(ch), completed('agent-7')) },
      }));
      expect(r.outcome).toBe('queued');
      expect(r.detail).toBe('agent-7');
      expect(calls[0]).toMatchObject({ queueId: 'service', priority: 5, digits: '0', skills: { 'lang-en': 1 }, vars: { caller: '+8613800001111', digits: '0', lang: 'en', 'ivr.path': 'm>q' } });
      expect(ch.localHangups).toBe(0);
    });

    it('afterAgent: the caller still on the line after the agent hangs up goes on (satisfaction survey)', async () => {
      const ch = new FakeChannel({ inputs: ['5'] });
      const flow = mkFlow({
        q: { kind: 'enqueue', queueId: 'service', afterAgent: 'survey' },
        survey: { kind: 'gather', prompts: ['rate-us'], var: 'rating', max: 1, pattern: '[1-5]', next: 'bye' },
        bye,
      });
      const r = await runFlow(flow, ch, mkDeps({ queue: { enqueue: async () => completed('agent-2', 'agent') } }));
      expect(r.path).toEqual(['q', 'survey', 'bye']);
      expect(r.vars).toMatchObject({ rating: '5', 'queue.agentId': 'agent-2', 'queue.outcome': 'completed' });
    });

    it('overflowed into a second queue that was empty -> the innermost outcome, then onNoAgent', async () => {
      const ch = new FakeChannel({ inputs: ['0'] });
      const outcome: QueueOutcome = {
        outcome: 'timeout', queueId: 'service', waitMs: 300_000, action: 'queue',
        next: { outcome: 'empty', queueId: 'overflow', waitMs: 0, action: 'message' },
      };
      const r = await runFlow(qFlow(), ch, mkDeps({ queue: { enqueue: async () => outcome } }));
      expect(r.path).toEqual(['m', 'q', 'sorry']);
      expect(r.vars).toMatchObject({ 'queue.outcome': 'empty', 'queue.action': 'message', 'queue.callbackRequested': 'false' });
      expect(r.outcome).toBe('hangup');
    });

    it('the exit key (callback already requested by the queue) and queue errors continue at onNoAgent', async () => {
      const exit = await runFlow(qFlow(), new FakeChannel({ inputs: ['0'] }), mkDeps({
        queue: { enqueue: async () => ({ outcome: 'exit-key', queueId: 'service', key: '*', callbackRequested: true, waitMs: 5000 }) },
      }));
      expect(exit.path).toEqual(['m', 'q', 'sorry']);
      expect(exit.vars).toMatchObject({ 'queue.outcome': 'exit-key', 'queue.key': '*', 'queue.callbackRequested': 'true' });
      const err = await runFlow(qFlow(), new FakeChannel({ inputs: ['0'] }), mkDeps({
        queue: { enqueue: async () => ({ outcome: 'error', queueId: 'service', reason: 'unknown-queue' }) },
      }));
      expect(err.path).toEqual(['m', 'q', 'sorry']);
      expect(err.vars['queue.error']).toBe('unknown-queue');
    });

    it('abandoned in the queue -> caller-hangup', async () => {
      const ch = new FakeChannel({ inputs: ['0'] });
      const r = await runFlow(qFlow(), ch, mkDeps({ queue: { enqueue: async () => (ch.callerHangup(), { outcome: 'abandoned', queueId: 'service', waitMs: 9000 }) } }));
      expect(r.outcome).toBe('caller-hangup');
      expect(r.path).toEqual(['m', 'q']);
    });
  });

  describe('transfer', () => {
    const tFlow = (to: { agent: string } | { number: string }) => mkFlow({
      t: { kind: 'transfer', to, prompts: ['connecting'], ringTimeoutMs: 20000, onFailure: 'fail' },
      fail: { kind: 'hangup', prompts: ['nobody'] },
    }, { vars: { claims: '+862140009999' } });
    const transfers = {
      agents: { contactFor: async (id: string) => (id === 'a1' ? 'sip:a1@127.0.0.1:5070' : null) },
      dialPlan: { externalUri: async (n: string) => `sip:${n}@trunk.example` },
    };

    it('to an agent: bridges with the call id header; the flow ends as transferred', async () => {
      const ch = new FakeChannel({ bridge: { outcome: 'bridged', legCallId: 'leg-1' } });
      const r = await runFlow(tFlow({ agent: 'a1' }), ch, mkDeps(transfers));
      expect(r.outcome).toBe('transferred');
      expect(ch.bridges[0]).toEqual({ uri: 'sip:a1@127.0.0.1:5070', ringTimeoutMs: 20000, headers: { 'X-Call-Id': ch.callId, 'X-IVR-Flow': 'test-flow' } });
      expect(ch.played[0]).toEqual(['en/connecting.wav']);
      expect(ch.localHangups).toBe(0);
    });

    it('to an external number that does not answer -> onFailure with transfer.outcome', async () => {
      const ch = new FakeChannel({ bridge: { outcome: 'no-answer' } });
      const r = await runFlow(tFlow({ number: '{{claims}}' }), ch, mkDeps(transfers));
      expect(ch.bridges[0].uri).toBe('sip:+862140009999@trunk.example');
      expect(r.path).toEqual(['t', 'fail']);
      expect(r.vars['transfer.outcome']).toBe('no-answer');
    });

    it('to an unknown agent -> onFailure without dialling', async () => {
      const ch = new FakeChannel();
      const r = await runFlow(tFlow({ agent: 'ghost' }), ch, mkDeps(transfers));
      expect(ch.bridges).toHaveLength(0);
      expect(r.vars['transfer.outcome']).toBe('unknown-target');
      expect(r.path).toEqual(['t', 'fail']);
    });
  });

  describe('request-callback', () => {
    const cbFlow = (when?: string) => mkFlow({
      cb: { kind: 'request-callback', queueId: 'service', leadId: '{{leadId}}', ...(when ? { when } : {}), prompts: ['callback.confirmed'], next: 'bye', onFailure: 'fail' },
      bye,
      fail: { kind: 'hangup', prompts: ['callback.failed'] },
    }, { vars: { leadId: 'L-9', at: '2026-11-23T10:00:00+08:00' } });

    it('hands the caller to the scheduler and confirms', async () => {
      const reqs: CallbackRequest[] = [];
      const ch = new FakeChannel();
      const r = await runFlow(cbFlow('{{at}}'), ch, mkDeps({
        callbacks: { requestCallback: async (req) => (reqs.push(req), { id: 'cb-1', scheduledFor: new Date('2026-11-23T02:00:00Z') }) },
      }));
      expect(reqs[0]).toMatchObject({ phone: '+8613800001111', leadId: 'L-9', queueId: 'service', when: new Date('2026-11-23T02:00:00Z') });
      expect(reqs[0].vars.did).toBe('+862140001000');
      expect(r.vars['callback.id']).toBe('cb-1');
      expect(r.vars['callback.at']).toBe('2026-11-23T02:00:00.000Z');
      expect(ch.files).toEqual(['en/callback.confirmed.wav', 'en/goodbye.wav']);
    });

    it('a scheduler error or a bad date goes to onFailure', async () => {
      const failing = mkDeps({ callbacks: { requestCallback: async () => { throw new Error('scheduler down'); } } });
      const r1 = await runFlow(cbFlow(), new FakeChannel(), failing);
      expect(r1.path).toEqual(['cb', 'fail']);
      expect(r1.vars['callback.error']).toBe('scheduler down');
      const ok = mkDeps({ callbacks: { requestCallback: async () => ({ id: 'x' }) } });
      const r2 = await runFlow(cbFlow('next tuesday'), new FakeChannel(), ok);
      expect(r2.path).toEqual(['cb', 'fail']);
    });
  });
});

describe('trunkDialPlan', () => {
  it('builds trunk URIs behind the toll-fraud guard; a refused number fails the transfer', async () => {
    const dialPlan = trunkDialPlan({ trunkUriTemplate: 'sip:{number}@trunk.example', allowedPrefixes: ['+8621'] });
    expect(await dialPlan.externalUri('+86 21 4000 9999')).toBe('sip:+862140009999@trunk.example');
    expect(await dialPlan.externalUri('+882100000')).toBeNull();
    const ch = new FakeChannel();
    const flow = mkFlow({ t: { kind: 'transfer', to: { number: '+882100000' }, onFailure: 'no' }, no: { kind: 'hangup' } });
    const r = await runFlow(flow, ch, mkDeps({ dialPlan }));
    expect(ch.bridges).toHaveLength(0);
    expect(r.vars['transfer.outcome']).toBe('unknown-target');
  });
});
