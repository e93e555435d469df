import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseTo, type SipMessage } from '../../src/sip/engine/message.js';
import type { ServerTransaction, SipStack } from '../../src/sip/engine/stack.js';
import { rawRequest, startStack, TcpPeer, UdpPeer } from './sip-test-helpers.js';

/*
 * The running stack, not just the parser, under mutated traffic: whatever arrives over real UDP
 * and TCP, the upper layer only sees well-formed requests, the stack keeps answering, and
 * nothing is thrown out of a socket handler (vitest fails the run on an uncaught exception).
 */

let s: SipStack;
let udp: UdpPeer;
const delivered: SipMessage[] = [];

beforeAll(async () => {
  s = await startStack({ timers: { T1: 20, T2: 160, T4: 200 } });
  s.on('request', (req: SipMessage, txn: ServerTransaction | null) => {
    delivered.push(req);
    txn?.respond(responseTo(req, 200));
  });
  udp = await UdpPeer.open();
});

afterAll(async () => {
  await udp?.close();
  await s?.stop();
});

const template = (port: number, transport: 'UDP' | 'TCP') =>
  rawRequest({ method: 'INVITE', transport, viaPort: port, body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n', extra: ['Route: <sip:p1;lr>, <sip:p2;lr>', 'X-Custom: "quoted, value";x=1'] });

const mutate = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => (b: Buffer) => {
    const c = Buffer.from(b);
    for (const [i, v] of flips) c[i % c.length] = v;
    return c;
  }),
  fc.nat().map((n) => (b: Buffer) => b.subarray(0, n % b.length)),
  fc.nat().map((n) => (b: Buffer) => {
    const lines = b.toString('latin1').split('\r\n');
    lines.splice(1 + (n % (lines.length - 1)), 1);
    return Buffer.from(lines.join('\r\n'), 'latin1');
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 100, max: 20_000 })).map(([n, size]) => (b: Buffer) => {
    const s2 = b.toString('latin1');
    const i = n % s2.length;
    return Buffer.from(s2.slice(0, i) + 'A'.repeat(size) + s2.slice(i), 'latin1');
  }),
);

describe('stack under mutated traffic', () => {
  it('delivers only well-formed requests and keeps answering (UDP)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutate, { minLength: 1, maxLength: 3 }), async (muts) => {
        let b: Buffer = Buffer.from(template(udp.port, 'UDP'));
        for (const f of muts) b = f(b);
        await udp.send(b, s.listening[0].port);
      }),
      { numRuns: 300 },
    );
    const callId = 'alive-udp';
    await udp.send(rawRequest({ method: 'OPTIONS', viaPort: udp.port, callId }), s.listening[0].port);
    expect((await udp.next((m) => m.callId === callId)).status).toBe(200);
    // both outcomes were exercised: some mutants still parsed, many did not
    expect(delivered.length).toBeGreaterThan(1);
    expect(s.stats.parseErrors).toBeGreaterThan(50);
    for (const m of delivered) {
      expect(m.kind).toBe('request');
      expect(m.callId).not.toBe('');
      expect(m.cseq.method).toBe(m.method);
    }
  });

  it('keeps answering on fresh TCP connections after mutated streams', async () => {
    const port = s.listening[1].port;
    await fc.assert(
      fc.asyncProperty(fc.array(mutate, { minLength: 1, maxLength: 2 }), async (muts) => {
        let b: Buffer = Buffer.from(template(9, 'TCP'));
        for (const f of muts) b = f(b);
        const c = await TcpPeer.connect(port);
        c.send(b);
        c.close();
      }),
      { numRuns: 60 },
    );
    const peer = await TcpPeer.connect(port);
    peer.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9, callId: 'alive-tcp' }));
    expect((await peer.next((m) => m.callId === 'alive-tcp')).status).toBe(200);
    peer.close();
  });
});
