import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sippUac, startHarness, tail, type Harness } from './support.js';

// Retransmission behaviour under packet loss (default timers).
describe('engine reliability with sipp: packet loss', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('completes every call despite 10% packet loss (retransmissions on both sides)', async () => {
    const r = await sippUac(h, 'uac-answer.xml', { service: 'answer', calls: 10, rate: 10, extra: ['-lost', '10'] });
    expect(r.code, tail(r.output)).toBe(0);
  });
});

// A 2xx that is never ACKed, with a short ACK timeout (engine option) so the test takes seconds, not 32 s.
describe('engine reliability with sipp: ACK timeout', () => {
  let h: Harness;
  const ACK_TIMEOUT_MS = 3000;

  beforeAll(async () => {
    h = await startHarness({ ackTimeoutMs: ACK_TIMEOUT_MS });
  });
  afterAll(async () => {
    await h?.stop();
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
