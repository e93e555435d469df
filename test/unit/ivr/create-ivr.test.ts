import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIvr, type Ivr } from '../../../src/ivr/ivr.js';
import type { IvrResult } from '../../../src/ivr/session.js';
import { testApp, type TestApp } from '../../support/app.js';
import { FakeChannel, fakePrompts } from './fakes.js';

/** The composition the lead wires into src/service.ts: API, DID router and trunk dial plan share one store. */
describe('createIvr', () => {
  let t: TestApp;
  let ivr: Ivr;
  const results: IvrResult[] = [];
  beforeAll(async () => {
    t = await testApp((ctx) => {
      ivr = createIvr({
        redis: ctx.redis, keys: ctx.keys, log: ctx.log, audit: ctx.audit,
        prompts: { ...fakePrompts, has: (key) => key !== 'missing-recording' },
        trunk: { trunkUriTemplate: 'sip:{number}@127.0.0.1:5080', allowedPrefixes: ['+8621'] },
        onResult: (r) => void results.push(r),
      });
      return ivr.domains;
    });
  });
  afterAll(async () => t.close());

  it('a flow saved through the API answers its number and transfers through the trunk', async () => {
    const flow = {
      id: 'claims', name: 'claims line', start: 'hi',
      nodes: {
        hi: { kind: 'play', prompts: ['missing-recording'], next: 'xfer' },
        xfer: { kind: 'transfer', to: { number: '+862140009999' }, onFailure: 'bye' },
        bye: { kind: 'hangup' },
      },
    };
    const headers = t.auth('admin');
    const dry = await t.app.inject({ method: 'POST', url: '/ivr/flows/validate', headers, payload: flow });
    expect(dry.json().warnings).toEqual([{ node: 'hi', field: 'prompts[0]', message: "no prompt 'missing-recording' for en" }]);
    expect((await t.app.inject({ method: 'POST', url: '/ivr/flows', headers, payload: flow })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'PUT', url: '/ivr/numbers/+862140001000', headers, payload: { flowId: 'claims' } })).statusCode).toBe(200);

    const ch = new FakeChannel({ bridge: { outcome: 'bridged', legCallId: 'leg-1' } });
    await (await ivr.didRouter.handlerFor('+862140001000'))!(ch);
    expect(ch.bridges[0].uri).toBe('sip:+862140009999@127.0.0.1:5080');
    expect(results[0]).toMatchObject({ outcome: 'transferred', flowId: 'claims', path: ['hi', 'xfer'] });
  });
});
