import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippUac, sippUas, startHarness, tail, type Harness } from './support.js';

// sipp scenarios (test/sipp/*.xml) against the engine plus a plain drachtio-srf app (app.ts).
describe('engine conformance with sipp and drachtio-srf', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers an incoming call as UAS (createUAS) and takes the BYE', async () => {
    const before = h.app.events.byes;
    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 3, rate: 10 });
    expect(r.code, tail(r.output)).toBe(0);
    await h.app.until(() => h.app.events.byes >= before + 3);
    expect(h.app.events.acks).toBeGreaterThanOrEqual(3);
    // cdr events reached the app (it subscribed with srf.on('cdr:*'))
    expect(h.app.events.cdr).toContain('attempt:network');
    expect(h.app.events.cdr).toContain('start:application:uas');
    expect(h.app.events.cdr).toContain('stop:network:normal-release');
  });

  it('originates a call to a sipp UAS (createUAC), ACKs the 200 and hangs up', async () => {
    const uas = await sippUas('uas-answer.xml');
    const { remoteSdp } = await h.app.originate(`sip:callee@127.0.0.1:${uas.port}`, 300);
    expect(remoteSdp).toContain('s=sipp-callee');
    const r = await uas.done;
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('bridges UDP to TCP as a B2BUA (createB2BUA) with SDP passed through both ways', async () => {
    const uas = await sippUas('uas-b2bua.xml', { transport: 'tcp' });
    const r = await sippUac(h, 'uac-b2bua.xml', { service: `b2bua-${uas.port}` });
    expect(r.code, tail(r.output)).toBe(0);
    const b = await uas.done;
    expect(b.code, tail(b.output)).toBe(0);
  });

  it('proxies a call with Record-Route (proxyRequest); ACK and BYE are routed through the engine', async () => {
    const uas = await sippUas('uas-proxy.xml');
    const r = await sippUac(h, 'uac-proxy.xml', { service: `proxy-${uas.port}` });
    expect(r.code, tail(r.output)).toBe(0);
    const b = await uas.done;
    expect(b.code, tail(b.output)).toBe(0);
    await h.app.until(() => h.app.events.proxied.length > 0);
    expect(h.app.events.proxied.at(-1)).toBe(200);
  });

  it('handles CANCEL before answer: 200 + 487 to the caller, cancel event in the app', async () => {
    const before = h.app.events.cancels;
    const r = await sippUac(h, 'uac-cancel.xml', { service: 'ring' });
    expect(r.code, tail(r.output)).toBe(0);
    await h.app.until(() => h.app.events.cancels === before + 1);
  });

  it('CANCELs an outgoing INVITE for the app (req.cancel) and gets 487', async () => {
    const uas = await sippUas('uas-cancel.xml');
    const status = await h.app.originateAndCancel(`sip:callee@127.0.0.1:${uas.port}`);
    expect(status).toBe(487);
    const r = await uas.done;
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('carries in-dialog INFO and re-INVITE both ways, OPTIONS, UPDATE and MESSAGE', async () => {
    const e0 = { ...h.app.events };
    const r = await sippUac(h, 'uac-info-reinvite.xml', { service: 'info' });
    expect(r.code, tail(r.output)).toBe(0);
    expect(h.app.events.infos).toBe(e0.infos + 1);
    expect(h.app.events.reinvites).toBe(e0.reinvites + 1);
    expect(h.app.events.messages).toBe(e0.messages + 1);
    expect(h.app.events.modifiesDone).toBe(e0.modifiesDone + 1);
  });

  it('answers an OPTIONS ping through the app', async () => {
    const r = await sippUac(h, 'uac-options.xml', { service: 'ping', calls: 2 });
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('passes REGISTER to the app, which challenges with 401; sipp authenticates', async () => {
    const r = await sippUac(h, 'uac-register.xml', { service: 'alice' });
    expect(r.code, tail(r.output)).toBe(0);
    expect(h.app.events.registers.at(-1)).toEqual({ user: 'alice', ok: true });
  });

  it('answers an incoming call over TCP', async () => {
    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 2, rate: 10, extra: ['-t', 't1'] });
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('lets srf answer a digest challenge on an outgoing REGISTER (same Call-ID, CSeq + 1)', async () => {
    const uas = await sippUas('uas-register-challenge.xml');
    const status = await h.app.registerWithAuth(`sip:127.0.0.1:${uas.port}`);
    expect(status).toBe(200);
    const r = await uas.done;
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('answers a malformed UDP request with 400 and keeps serving', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const got = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no 400 received')), 3000);
      sock.on('message', (m) => {
        clearTimeout(t);
        resolve(m.toString());
      });
    });
    const bad = [
      'INVITE sip:answer@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKmalformed1`,
      'From: <sip:bad@127.0.0.1>;tag=1',
      'To: <sip:answer@127.0.0.1>',
      'Call-ID: malformed-1',
      'CSeq: notanumber INVITE',
      'Content-Length: 0',
      '', '',
    ].join('\r\n');
    sock.send(Buffer.from('\x00\x01garbage that is not SIP at all\r\n\r\n'), h.engine.sipPort, '127.0.0.1');
    sock.send(Buffer.from(bad), h.engine.sipPort, '127.0.0.1');
    const reply = await got;
    sock.close();
    expect(reply).toMatch(/^SIP\/2\.0 400 /);
    expect(reply).toContain('malformed-1');
    const r = await sippUac(h, 'uac-options.xml', { service: 'ping' });
    expect(r.code, tail(r.output)).toBe(0);
  });
});
