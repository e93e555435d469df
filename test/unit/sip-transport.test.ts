import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { responseTo, SipMessage, type Endpoint } from '../../src/sip/engine/message.js';
import type { SipParseError } from '../../src/sip/engine/parser.js';
import type { SipStack, ServerTransaction } from '../../src/sip/engine/stack.js';
import { newCallId, newTag, parseVia } from '../../src/sip/engine/uri.js';
import { eventually, FAST_TIMERS, rawRequest, sleep, startStack, TcpPeer, UdpPeer } from './sip-test-helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function stack(): Promise<SipStack> {
  const s = await startStack();
  cleanup.push(() => s.stop());
  return s;
}

/** Answers every non-ACK request with 200 and records what arrived. */
function answerAll(s: SipStack): { req: SipMessage; source: Endpoint }[] {
  const seen: { req: SipMessage; source: Endpoint }[] = [];
  s.on('request', (req: SipMessage, txn: ServerTransaction | null, source: Endpoint) => {
    seen.push({ req, source });
    txn?.respond(responseTo(req, 200));
  });
  return seen;
}

function options(uri: string): SipMessage {
  const m = SipMessage.request('OPTIONS', uri);
  m.add('From', `<sip:a@127.0.0.1>;tag=${newTag()}`);
  m.add('To', `<${uri}>`);
  m.add('Call-ID', newCallId('test'));
  m.add('CSeq', '1 OPTIONS');
  return m;
}

describe('UDP transport', () => {
  it('stamps received/rport and answers to the source port, not the Via port', async () => {
    const s = await stack();
    const seen = answerAll(s);
    const peer = await UdpPeer.open();
    cleanup.push(() => peer.close());
    await peer.send(rawRequest({ method: 'OPTIONS', viaPort: 9 }), s.listening[0].port);
    const res = await peer.next();
    expect(res.status).toBe(200);
    const via = parseVia(seen[0].req.get('Via') ?? '');
    expect(via.params).toMatchObject({ rport: String(peer.port), received: '127.0.0.1' });
    expect(res.get('Via')).toContain(`rport=${peer.port}`);
    expect(seen[0].source).toEqual({ transport: 'udp', address: '127.0.0.1', port: peer.port });
  });

  it('answers a CRLFCRLF keep-alive with CRLF and ignores it otherwise', async () => {
    const s = await stack();
    const got: Buffer[] = [];
    const { createSocket } = await import('node:dgram');
    const sock = createSocket('udp4');
    cleanup.push(() => new Promise<void>((r) => sock.close(() => r())));
    sock.on('message', (b) => got.push(b));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.send('\r\n\r\n', s.listening[0].port, '127.0.0.1');
    await sleep(100);
    expect(got.map((b) => b.toString())).toEqual(['\r\n']);
    expect(s.stats.parseErrors).toBe(0);
  });
});

describe('TCP transport', () => {
  it('frames a request split across writes and answers on the same connection', async () => {
    const s = await stack();
    answerAll(s);
    const tcpPort = s.listening.find((e) => e.transport === 'tcp')?.port ?? 0;
    const peer = await TcpPeer.connect(tcpPort);
    cleanup.push(() => peer.close());
    const wire = Buffer.from(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9, body: 'hello' }));
    peer.send(wire.subarray(0, 10));
    await sleep(20);
    peer.send(wire.subarray(10, 100));
    await sleep(20);
    peer.send(Buffer.concat([wire.subarray(100), Buffer.from('\r\n\r\n')]));
    const res = await peer.next();
    expect(res.status).toBe(200);
    expect(s.tcpConnectionCount).toBe(1);
  });

  it('reuses an inbound connection for requests to the peer named in its Via', async () => {
    const s = await stack();
    answerAll(s);
    const tcpPort = s.listening.find((e) => e.transport === 'tcp')?.port ?? 0;
    const peer = await TcpPeer.connect(tcpPort);
    cleanup.push(() => peer.close());
    // the peer claims sent-by port 5999 where nothing listens: only connection reuse can reach it
    peer.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 5999 }));
    expect((await peer.next()).status).toBe(200);
    const txn = s.sendRequest(options('sip:peer@127.0.0.1:5999;transport=tcp'), s.resolveTarget('sip:peer@127.0.0.1:5999;transport=tcp'));
    const req = await peer.next((m) => m.kind === 'request');
    expect(req.method).toBe('OPTIONS');
    const responses: number[] = [];
    txn.on('response', (r: SipMessage) => responses.push(r.status));
    peer.send(responseTo(req, 200).toBuffer());
    await sleep(50);
    expect(responses).toEqual([200]);
    expect(s.tcpConnectionCount).toBe(1);
  });

  it('two stacks talk over one TCP connection in both directions', async () => {
    const a = await stack();
    const b = await stack();
    answerAll(a);
    answerAll(b);
    const ask = (from: SipStack, to: SipStack) =>
      new Promise<number>((resolve) => {
        const target = to.contactFor('tcp');
        from.sendRequest(options(target), from.resolveTarget(target)).on('response', (r: SipMessage) => resolve(r.status));
      });
    expect(await ask(a, b)).toBe(200);
    expect(await ask(b, a)).toBe(200);
    expect(await ask(a, b)).toBe(200);
    expect(a.tcpConnectionCount).toBe(1);
    expect(b.tcpConnectionCount).toBe(1);
  });

  it('reports a refused connection as transport-error', async () => {
    const s = await stack();
    const { freePort } = await import('../support/ports.js');
    const dead = await freePort();
    const txn = s.sendRequest(options(`sip:x@127.0.0.1:${dead};transport=tcp`), { transport: 'tcp', address: '127.0.0.1', port: dead });
    const err = await new Promise<Error>((r) => txn.on('transport-error', r));
    expect(err.message).toMatch(/ECONNREFUSED|closed/);
    expect(s.transactionCount.client).toBe(0);
  });
});

describe('malformed input', () => {
  const bad400 = rawRequest({ method: 'OPTIONS', viaPort: 9, extra: ['Max-Forwards: lots'] });

  it('answers 400 to a malformed request that has the transaction headers, over UDP and TCP', async () => {
    const s = await stack();
    const errors: SipParseError[] = [];
    s.on('parse-error', (e: SipParseError) => errors.push(e));
    const udp = await UdpPeer.open();
    cleanup.push(() => udp.close());
    await udp.send(bad400, s.listening[0].port);
    const r1 = await udp.next();
    expect(r1.status).toBe(400);
    expect(r1.get('Warning')).toMatch(/max-forwards/i);
    const tcp = await TcpPeer.connect(s.listening[1].port);
    cleanup.push(() => tcp.close());
    tcp.send(bad400.replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
    expect((await tcp.next()).status).toBe(400);
    expect(errors).toHaveLength(2);
    // a framed bad message does not cost the connection
    answerAll(s);
    tcp.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9 }));
    expect((await tcp.next()).status).toBe(200);
  });

  it('over TCP a request without Content-Length gets 400 and the unframeable connection is closed', async () => {
    const s = await stack();
    const tcp = await TcpPeer.connect(s.listening[1].port);
    cleanup.push(() => tcp.close());
    tcp.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9 }).replace('Content-Length: 0\r\n', ''));
    const res = await tcp.next();
    expect(res.status).toBe(400);
    expect(res.get('Warning')).toMatch(/Content-Length/);
    await tcp.closed();
    await eventually(() => s.tcpConnectionCount === 0);
  });

  it('survives garbage over real UDP and TCP and still answers OPTIONS, leaking no transactions', async () => {
    const s = await startStack({ timers: FAST_TIMERS });
    cleanup.push(() => s.stop());
    answerAll(s);
    const [udpEp, tcpEp] = s.listening;
    const udp = await UdpPeer.open();
    cleanup.push(() => udp.close());
    const valid = rawRequest({ method: 'INVITE', viaPort: udp.port, body: 'v=0\r\n' });
    const garbage: Buffer[] = [
      randomBytes(1),
      randomBytes(1400),
      Buffer.alloc(60_000, 'x'),
      Buffer.from('SIP/2.0 200 OK\r\n\r\n'),
      Buffer.from('INVITE sip:x SIP/2.0\r\n' + 'Via: '.repeat(5000) + '\r\n\r\n'),
      Buffer.from(valid.replace(/Call-ID: .*\r\n/, '')),
      Buffer.from(valid.replace('Content-Length: 5', 'Content-Length: 99999')),
      Buffer.from(valid.replace('CSeq: 1 INVITE', 'CSeq: 1 BYE')),
      Buffer.from(valid.replace('<sip:peer@127.0.0.1>;tag', '<sip:peer@127.0.0.1;tag')),
      Buffer.from(valid.slice(0, 80)),
      Buffer.from(`X-Header: ${'a,'.repeat(30_000)}\r\n\r\n`),
    ];
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(valid);
      for (let j = 0; j < 3; j++) b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
      garbage.push(b);
    }
    for (const g of garbage) await udp.send(g, udpEp.port);
    // TCP: each garbage blob on its own connection (unframeable streams get closed)
    for (const g of garbage.slice(0, 12)) {
      const c = await TcpPeer.connect(tcpEp.port);
      c.send(g);
      c.send(Buffer.from(valid.replace('SIP/2.0/UDP', 'SIP/2.0/TCP')));
      cleanup.push(() => c.close());
    }
    await sleep(300);
    // the mutated INVITEs that still parsed are real INVITEs: each got a transaction; let them finish
    const before = s.stats.parseErrors;
    expect(before).toBeGreaterThan(10);

    await udp.send(rawRequest({ method: 'OPTIONS', viaPort: udp.port, callId: 'after-garbage' }), udpEp.port);
    expect((await udp.next((m) => m.callId === 'after-garbage')).status).toBe(200);
    const tcp = await TcpPeer.connect(tcpEp.port);
    cleanup.push(() => tcp.close());
    tcp.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9, callId: 'after-garbage-tcp' }));
    expect((await tcp.next((m) => m.callId === 'after-garbage-tcp')).status).toBe(200);
    // garbage creates nothing that lasts: every transaction ends after its timers (64*T1 here)
    expect(s.transactionCount.server).toBeGreaterThan(0);
    await eventually(() => s.transactionCount.server === 0 && s.transactionCount.client === 0, 8000);
  });
});
