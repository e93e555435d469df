import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigitCollector } from '../../../src/media/digit-collector.js';
import { DtmfListener, parseDtmfDatagram, type DtmfEvent } from '../../../src/media/dtmf-listener.js';
import { freePort } from '../../support/ports.js';

describe('DigitCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const opts = { max: 4, finishOnKey: '#', firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 2000 };

  it('ends on max digits and keeps the rest buffered (type-ahead)', async () => {
    const c = new DigitCollector();
    for (const d of '123456') c.push(d);
    expect(await c.collectDigits(opts)).toEqual({ digits: '1234', reason: 'max' });
    expect(c.buffered).toBe('56');
    const p = c.collectDigits({ ...opts, max: 3 });
    c.push('7');
    expect(await p).toEqual({ digits: '567', reason: 'max' });
  });

  it('ends on the finish key, which is not included', async () => {
    const c = new DigitCollector();
    const p = c.collectDigits(opts);
    c.push('4');
    c.push('#');
    expect(await p).toEqual({ digits: '4', reason: 'finish-key' });
  });

  it('drops a finish key pressed before min digits', async () => {
    const c = new DigitCollector();
    const p = c.collectDigits({ ...opts, min: 2 });
    c.push('#');
    c.push('1');
    c.push('#');
    c.push('2');
    c.push('#');
    expect(await p).toEqual({ digits: '12', reason: 'finish-key' });
  });

  it('first-digit timeout, then inter-digit timeout restarted by each digit', async () => {
    const c = new DigitCollector();
    let r = c.collectDigits(opts);
    await vi.advanceTimersByTimeAsync(4999);
    let done = false;
    void r.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await r).toEqual({ digits: '', reason: 'timeout' });

    r = c.collectDigits(opts);
    await vi.advanceTimersByTimeAsync(3000);
    c.push('1');
    await vi.advanceTimersByTimeAsync(1500);
    c.push('2');
    await vi.advanceTimersByTimeAsync(1999);
    done = false;
    void r.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await r).toEqual({ digits: '12', reason: 'timeout' });
  });

  it('a buffered digit starts the inter-digit timer, not the first-digit one', async () => {
    const c = new DigitCollector();
    c.push('9');
    const r = c.collectDigits(opts);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await r).toEqual({ digits: '9', reason: 'timeout' });
  });

  it('close() ends a pending collect with hangup and refuses new ones; one collect at a time', async () => {
    const c = new DigitCollector();
    const r = c.collectDigits(opts);
    await expect(c.collectDigits(opts)).rejects.toThrow(/already/);
    c.push('3');
    c.close();
    expect(await r).toEqual({ digits: '3', reason: 'hangup' });
    expect(await c.collectDigits(opts)).toEqual({ digits: '', reason: 'hangup' });
  });

  it('notifies digit listeners in order and lets them unsubscribe', () => {
    const c = new DigitCollector();
    const seen: string[] = [];
    const off = c.onDigit((d) => seen.push(d));
    c.push('1');
    c.push('*');
    off();
    c.push('2');
    expect(seen).toEqual(['1', '*']);
  });
});

describe('DTMF feed', () => {
  const dg = (o: Record<string, unknown>) =>
    JSON.stringify({ callid: 'c1', source_tag: 'primary', tags: ['peer', 'primary'], type: 'DTMF', timestamp: 1795388274, source_ip: '127.0.0.1', event: 5, duration: 100, volume: 10, ...o });

  it('parses rtpengine 10.5 datagrams, including * # A-D, and rejects junk', () => {
    expect(parseDtmfDatagram(dg({}), 1)).toEqual({ callId: 'c1', sourceTag: 'primary', digit: '5', durationMs: 100, volume: 10, receivedAt: 1 });
    expect(parseDtmfDatagram(dg({ event: 10 }))?.digit).toBe('*');
    expect(parseDtmfDatagram(dg({ event: 11 }))?.digit).toBe('#');
    expect(parseDtmfDatagram(dg({ event: 15 }))?.digit).toBe('D');
    expect(parseDtmfDatagram(dg({ event: 16 }))).toBeUndefined();
    expect(parseDtmfDatagram('not json')).toBeUndefined();
    expect(parseDtmfDatagram(dg({ type: 'other' }))).toBeUndefined();
  });

  it('dispatches by call-id and tag, and drops a duplicated datagram but not a second press', () => {
    const l = new DtmfListener({ port: 0 });
    const got: DtmfEvent[] = [];
    const gotPeer: DtmfEvent[] = [];
    const off = l.subscribe('c1', (e) => got.push(e), 'primary');
    l.subscribe('c1', (e) => gotPeer.push(e), 'peer');
    l.onDatagram(dg({}), 1000);
    l.onDatagram(dg({}), 1010); // duplicate of the same report
    l.onDatagram(dg({}), 1400); // the same key pressed again
    l.onDatagram(dg({ source_tag: 'peer', event: 1 }), 1500);
    l.onDatagram(dg({ callid: 'other' }), 1600);
    expect(got.map((e) => e.digit)).toEqual(['5', '5']);
    expect(gotPeer.map((e) => e.digit)).toEqual(['1']);
    off();
    l.onDatagram(dg({ event: 2 }), 2000);
    expect(got).toHaveLength(2);
  });

  it('receives datagrams on its UDP socket', async () => {
    const port = await freePort();
    const l = new DtmfListener({ port });
    await l.start();
    const got = new Promise<DtmfEvent>((resolve) => l.subscribe('c1', resolve));
    const s = createSocket('udp4');
    s.send(dg({ event: 11 }), port, '127.0.0.1');
    expect((await got).digit).toBe('#');
    s.close();
    await l.stop();
  });
});
