import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../src/sip/engine/control-framing.js';
import { startConformanceApp, type ConformanceApp } from './app.js';
import { SECRET, sippUac, startHarness, tail, type Harness } from './support.js';

// The control-protocol side under real SIP traffic: several apps, and apps that send nonsense.
describe('engine control protocol with several apps', () => {
  let h: Harness;
  let second: ConformanceApp;

  beforeAll(async () => {
    h = await startHarness();
    second = await startConformanceApp({ host: '127.0.0.1', port: h.engine.controlPort, secret: SECRET });
  });
  afterAll(async () => {
    second?.close();
    await h?.stop();
  });

  it('round-robins new INVITEs between the apps that registered the invite route', async () => {
    const a0 = h.app.events.invites;
    const b0 = second.events.invites;
    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 4, rate: 20 });
    expect(r.code, tail(r.output)).toBe(0);
    expect(h.app.events.invites - a0).toBe(2);
    expect(second.events.invites - b0).toBe(2);
  });

  it('answers bad app messages with NOK and keeps serving calls', async () => {
    const sock = connect(h.engine.controlPort, '127.0.0.1');
    const dec = new FrameDecoder();
    const replies = new Map<string, string>();
    sock.on('data', (c) => {
      for (const p of dec.push(c)) {
        const t = p.split('|');
        if (t[1] === 'response') replies.set(t[2], t.slice(3).join('|'));
      }
    });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const send = (id: string, s: string) => sock.write(encodeFrame(`${id}|${s}`));
    send('auth', `authenticate|${SECRET}|`);
    const bad: Record<string, string> = {
      unknownTxn: 'sip|no-such-txn|\r\nSIP/2.0 200 OK\r\n\r\n',
      unknownDialog: 'sip||no-such-dialog\r\nINFO sip:placeholder SIP/2.0\r\n\r\n',
      garbageSip: 'sip||\r\nthis is not sip\r\n\r\n',
      noSip: 'sip||',
      placeholderNoDialog: 'sip||\r\nBYE sip:placeholder SIP/2.0\r\n\r\n',
      unresolvable: 'sip||\r\nOPTIONS sip:x@no-such-host.invalid SIP/2.0\r\n\r\n',
      badScheme: 'sip||\r\nOPTIONS mailto:x@y SIP/2.0\r\n\r\n',
      proxyUnknown: 'proxy|no-such-txn|||||||sip:127.0.0.1:9\r\nINVITE sip:127.0.0.1:9 SIP/2.0\r\n\r\n',
      cancelUnknown: 'sip|no-such-txn|\r\nCANCEL sip:x@127.0.0.1 SIP/2.0\r\n\r\n',
    };
    for (const [id, msg] of Object.entries(bad)) send(id, msg);
    for (let i = 0; i < 100 && replies.size < Object.keys(bad).length + 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(replies.get('auth')).toMatch(/^OK\|/);
    for (const id of Object.keys(bad)) expect(replies.get(id), id).toMatch(/^NOK\|/);
    expect(replies.get('unknownDialog')).toMatch(/unable to find dialog/);
    sock.destroy();

    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 2, rate: 20 });
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('maps an in-dialog request for an unknown dialog to ENODIALOG in srf', async () => {
    // srf's typings for request() are wrong (4-5 args); the runtime takes (uri, opts) and returns a Promise
    const request = h.app.srf.request.bind(h.app.srf) as unknown as (uri: string, opts: object) => Promise<unknown>;
    const err = await request('sip:placeholder', { method: 'INFO', stackDialogId: 'gone;from-tag=x' })
      .then(() => null, (e: { code?: string }) => e);
    expect(err?.code).toBe('ENODIALOG');
  });
});
