import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippUac, sippUas, startHarness, tail, type Harness } from './support.js';

// Retransmission behaviour: packet loss and a 2xx that is never ACKed (short ACK timeout for the test).
describe('engine reliability with sipp', () => {
  let h: Harness;
  const ACK_TIMEOUT_MS = 3000;

  beforeAll(async () => {
    h = await startHarness({ ackTimeoutMs: ACK_TIMEOUT_MS });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('completes every call despite 10% packet loss (retransmissions on both sides)', async () => {
    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 10, rate: 10, extra: ['-lost', '10'] });
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('completes originated calls (createUAC) when the callee loses 10% of packets (re-ACK of retransmitted 200)', async () => {
    const calls = 5;
    const uas = await sippUas('uas-answer-lossy.xml', { calls, extra: ['-lost', '10'] });
    for (let i = 0; i < calls; i++) {
      // held past sipp's first 200 retransmission (500 ms) so a lost ACK is repaired by our re-ACK
      const { remoteSdp } = await h.app.originate(`sip:callee@127.0.0.1:${uas.port}`, 700);
      expect(remoteSdp).toContain('s=sipp-callee');
    }
    const r = await uas.done;
    expect(r.code, tail(r.output)).toBe(0);
  });

  it('retransmits an unACKed 200, then sends BYE to the caller and an unsolicited BYE to the app', async () => {
    const before = h.app.events.destroyedByEngine;
    const started = Date.now();
    const r = await sippUac(h, 'uac-noack.xml', { service: 'noack' });
    expect(r.code, tail(r.output)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 200);
    await h.app.until(() => h.app.events.destroyedByEngine === before + 1);
    expect(h.app.events.cdr).toContain('stop:application:ack-timeout');
  });
});
