import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import { attachInboundRouter } from '../../../src/calls/inbound-router.js';
import { IvrDidRouter } from '../../../src/ivr/did-router.js';
import { IvrStore } from '../../../src/ivr/ivr-store.js';
import type { IvrResult } from '../../../src/ivr/session.js';
import { FakeMediaFactory, FakeResponse, FakeSrf, fakeRequest } from '../../support/call-fakes.js';
import { testRedis } from '../../support/redis.js';
import { mkDeps } from './helpers.js';

/**
 * The IVR behind the real inbound router and SipCall (call control's srf and media fakes): DID lookup in
 * Redis, answer, runFlow on the SipCall, hangup semantics. The lead's e2e test does the same on real SIP.
 */
describe('IVR behind the inbound router', () => {
  const r = testRedis();
  const store = new IvrStore(r.redis, r.keys);
  afterAll(async () => r.cleanup());

  async function setup() {
    await store.createFlow({
      id: `menu-${Math.random().toString(36).slice(2, 8)}`, name: 'menu', start: 'm',
      nodes: {
        m: { kind: 'menu', prompts: ['welcome'], choices: [{ key: '1', next: 'info' }] },
        info: { kind: 'play', prompts: ['info'], next: 'bye' },
        bye: { kind: 'hangup', prompts: ['goodbye'] },
      },
    }).then((f) => store.setNumber('+862140001000', f.id));
    const srf = new FakeSrf('answer');
    const media = new FakeMediaFactory();
    const results: IvrResult[] = [];
    const router = new IvrDidRouter({ store, deps: mkDeps({ log: pino({ level: 'silent' }) }), onResult: (res) => void results.push(res) });
    attachInboundRouter({ srf, media, log: pino({ level: 'silent' }), registry: new CallRegistry(), didRouter: router });
    const invite = (did: string) => {
      const req = fakeRequest({ 'Call-ID': `in-${did}-${Math.random()}`, From: '<sip:13800001111@127.0.0.1>;tag=ct', To: `<sip:${did}@127.0.0.1>` }, { calledNumber: did, callingNumber: '13800001111' });
      const res = new FakeResponse();
      srf.inviteHandler!(req, res);
      return res;
    };
    return { srf, media, results, invite };
  }

  it('runs the DID flow on the answered call and hangs up at the end', async () => {
    const { srf, media, results, invite } = await setup();
    media.create = ((orig) => (id: string) => {
      const m = orig(id);
      m.collectResult = Promise.resolve({ digits: '1', reason: 'max' });
      return m;
    })(media.create.bind(media));
    const res = invite('862140001000');
    await expect.poll(() => results.length).toBe(1);
    expect(res.sent[0].status).toBe(200);
    expect(results[0]).toMatchObject({ outcome: 'hangup', path: ['m', 'info', 'bye'], vars: { caller: '13800001111', did: '862140001000' } });
    expect(media.created[0].media.log.filter((l) => l.startsWith('play:') || l === 'collect')).toEqual([
      'play:en/welcome.wav', 'collect', 'play:en/info.wav', 'play:en/goodbye.wav',
    ]);
    await expect.poll(() => srf.uasDialogs[0].destroyed).toBe(1);
  });

  it('a caller BYE during a prompt ends the session as caller-hangup', async () => {
    const { srf, media, results, invite } = await setup();
    media.create = ((orig) => (id: string) => {
      const m = orig(id);
      m.playResult = new Promise(() => undefined); // the prompt never finishes on its own
      return m;
    })(media.create.bind(media));
    invite('+862140001000');
    await expect.poll(() => srf.uasDialogs.length).toBe(1);
    srf.uasDialogs[0].remoteBye();
    await expect.poll(() => results.length).toBe(1);
    expect(results[0]).toMatchObject({ outcome: 'caller-hangup', path: ['m'] });
  });

  it('a number without a flow is refused with 404', async () => {
    const { invite } = await setup();
    const res = invite('+10000000000');
    await expect.poll(() => res.sent.length).toBe(1);
    expect(res.sent[0].status).toBe(404);
  });
});
