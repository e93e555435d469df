import { afterEach, describe, expect, it } from 'vitest';
import { responseTo, SipMessage, type Endpoint } from '../../src/sip/engine/message.js';
import type { ClientTransaction, ServerTransaction, SipStack } from '../../src/sip/engine/stack.js';
import { newCallId, newTag, parseVia } from '../../src/sip/engine/uri.js';
import { eventually, FAST_TIMERS, rawRequest, sleep, startStack, TcpPeer, UdpPeer } from './sip-test-helpers.js';

/* RFC 3261 17 state machines driven by raw UDP/TCP peers on loopback, timers shrunk to T1=40ms. */

const { T1 } = FAST_TIMERS;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ s: SipStack; peer: UdpPeer; port: number }> {
  const s = await startStack({ timers: FAST_TIMERS });
  const peer = await UdpPeer.open();
  cleanup.push(() => s.stop(), () => peer.close());
  return { s, peer, port: s.listening[0].port };
}

interface Incoming {
  req: SipMessage;
  txn: ServerTransaction | null;
  source: Endpoint;
}

function collect(s: SipStack): Incoming[] {
  const got: Incoming[] = [];
  s.on('request', (req: SipMessage, txn: ServerTransaction | null, source: Endpoint) => got.push({ req, txn, source }));
  return got;
}

function request(method: string, peerPort: number, transport: 'udp' | 'tcp' = 'udp'): SipMessage {
  const uri = `sip:peer@127.0.0.1:${peerPort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  const m = SipMessage.request(method, uri);
  m.add('From', `<sip:stack@127.0.0.1>;tag=${newTag()}`);
  m.add('To', `<${uri}>`);
  m.add('Call-ID', newCallId('t'));
  m.add('CSeq', `1 ${method}`);
  if (method === 'INVITE') m.add('Contact', '<sip:stack@127.0.0.1>');
  return m;
}

function responses(txn: ClientTransaction): SipMessage[] {
  const out: SipMessage[] = [];
  txn.on('response', (r: SipMessage) => out.push(r));
  return out;
}

describe('INVITE server transaction', () => {
  it('sends 100 Trying, absorbs retransmissions by resending the last response, once to the upper layer', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    const invite = rawRequest({ method: 'INVITE', viaPort: peer.port, branch: 'z9hG4bK-inv1', callId: 'c1' });
    await peer.send(invite, port);
    expect((await peer.next()).status).toBe(100);
    await eventually(() => got.length === 1);
    got[0].txn?.respond(responseTo(got[0].req, 180));
    expect((await peer.next()).status).toBe(180);
    await peer.send(invite, port);
    expect((await peer.next()).status).toBe(180);
    expect(got).toHaveLength(1);
    expect(s.stats.retransmissionsAbsorbed).toBe(1);
  });

  it('retransmits a non-2xx final with Timer G, stops on ACK (absorbed), then terminates', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    const inv = { method: 'INVITE', viaPort: peer.port, branch: 'z9hG4bK-inv2', callId: 'c2' };
    await peer.send(rawRequest(inv), port);
    await eventually(() => got.length === 1);
    const txn = got[0].txn as ServerTransaction;
    const terminated = new Promise((r) => txn.on('terminated', r));
    txn.respond(responseTo(got[0].req, 486));
    // 486 at 0, T1, 3*T1
    await eventually(() => peer.count((m) => m.status === 486) >= 3, 2000);
    const finals = peer.count((m) => m.status === 486);
    await peer.send(rawRequest({ ...inv, method: 'ACK', cseqMethod: 'ACK', toTag: txn.toTag }), port);
    await sleep(T1 * 4);
    expect(peer.count((m) => m.status === 486)).toBeLessThanOrEqual(finals + 1);
    expect(txn.state).toMatch(/confirmed|terminated/);
    expect(got.filter((g) => g.req.method === 'ACK')).toHaveLength(0);
    await terminated;
    expect(s.transactionCount.server).toBe(0);
  });

  it('Timer H: no ACK -> timeout event and the transaction goes away', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    await peer.send(rawRequest({ method: 'INVITE', viaPort: peer.port }), port);
    await eventually(() => got.length === 1);
    const txn = got[0].txn as ServerTransaction;
    const timedOut = new Promise((r) => txn.on('timeout', r));
    txn.respond(responseTo(got[0].req, 503));
    await timedOut;
    expect(txn.state).toBe('terminated');
    expect(s.transactionCount.server).toBe(0);
    // G doubles up to T2: 0, 1, 3, 7, 15, 23, 31... T1 -> 9 or so sends within 64*T1
    expect(peer.count((m) => m.status === 503)).toBeGreaterThanOrEqual(8);
  });

  it('after a 2xx absorbs the INVITE retransmission and passes the 2xx ACK up with no transaction', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    const inv = { method: 'INVITE', viaPort: peer.port, branch: 'z9hG4bK-inv3', callId: 'c3' };
    await peer.send(rawRequest(inv), port);
    await eventually(() => got.length === 1);
    const txn = got[0].txn as ServerTransaction;
    txn.respond(responseTo(got[0].req, 200));
    await peer.next((m) => m.status === 200);
    expect(txn.state).toBe('accepted');
    await peer.send(rawRequest(inv), port);
    await sleep(50);
    expect(got).toHaveLength(1);
    await peer.send(rawRequest({ ...inv, method: 'ACK', branch: 'z9hG4bK-ack3', toTag: txn.toTag }), port);
    await eventually(() => got.length === 2);
    expect(got[1].req.method).toBe('ACK');
    expect(got[1].txn).toBeNull();
    await eventually(() => s.transactionCount.server === 0, 64 * T1 + 1000);
  });

  it('CANCEL: 200 to the CANCEL, 487 to the INVITE, cancel event, ACK absorbed', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    const cancels: [ServerTransaction, SipMessage][] = [];
    s.on('cancel', (t: ServerTransaction, c: SipMessage) => cancels.push([t, c]));
    const inv = { method: 'INVITE', viaPort: peer.port, branch: 'z9hG4bK-inv4', callId: 'c4' };
    await peer.send(rawRequest(inv), port);
    await eventually(() => got.length === 1);
    const txn = got[0].txn as ServerTransaction;
    const ringing = responseTo(got[0].req, 180, undefined, 'mytag');
    txn.respond(ringing);
    await peer.next((m) => m.status === 180);
    await peer.send(rawRequest({ ...inv, method: 'CANCEL' }), port);
    const ok = await peer.next((m) => m.cseq.method === 'CANCEL');
    expect(ok.status).toBe(200);
    const terminated = await peer.next((m) => m.status === 487);
    expect(terminated.toTag).toBe('mytag');
    expect(cancels).toHaveLength(1);
    expect(cancels[0][0]).toBe(txn);
    expect(got).toHaveLength(1); // CANCEL itself is not passed up
    // the app answering late is ignored
    txn.respond(responseTo(got[0].req, 200));
    await peer.send(rawRequest({ ...inv, method: 'ACK', cseqMethod: 'ACK', toTag: 'mytag' }), port);
    await sleep(50);
    expect(peer.count((m) => m.status === 200 && m.cseq.method === 'INVITE')).toBe(0);
    expect(got).toHaveLength(1);
  });

  it('CANCEL for an unknown transaction gets 481', async () => {
    const { s, peer, port } = await setup();
    collect(s);
    await peer.send(rawRequest({ method: 'CANCEL', viaPort: peer.port }), port);
    expect((await peer.next()).status).toBe(481);
  });
});

describe('non-INVITE server transaction', () => {
  it('no 100, absorbs retransmissions, resends the final, Timer J cleans up', async () => {
    const { s, peer, port } = await setup();
    const got = collect(s);
    const bye = rawRequest({ method: 'BYE', viaPort: peer.port, branch: 'z9hG4bK-bye1' });
    await peer.send(bye, port);
    await eventually(() => got.length === 1);
    await peer.send(bye, port); // trying: nothing to resend yet
    await sleep(30);
    expect(peer.all).toHaveLength(0);
    got[0].txn?.respond(responseTo(got[0].req, 200));
    expect((await peer.next()).status).toBe(200);
    await peer.send(bye, port);
    expect((await peer.next()).status).toBe(200);
    expect(got).toHaveLength(1);
    await eventually(() => s.transactionCount.server === 0, 64 * T1 + 1000);
  });

  it('over TCP terminates at once after the final response (Timer J = 0)', async () => {
    const s = await startStack({ timers: FAST_TIMERS });
    cleanup.push(() => s.stop());
    const got = collect(s);
    const peer = await TcpPeer.connect(s.listening[1].port);
    cleanup.push(() => peer.close());
    peer.send(rawRequest({ method: 'OPTIONS', transport: 'TCP', viaPort: 9 }));
    await eventually(() => got.length === 1);
    got[0].txn?.respond(responseTo(got[0].req, 200));
    expect((await peer.next()).status).toBe(200);
    expect(s.transactionCount.server).toBe(0);
  });
});

describe('INVITE client transaction', () => {
  it('Timer A retransmits over UDP until a provisional, ACKs a non-2xx itself (same branch), re-ACKs retransmissions', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('INVITE', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    await eventually(() => peer.count((m) => m.method === 'INVITE') >= 3, 2000); // 0, T1, 3*T1
    const sent = peer.count((m) => m.method === 'INVITE');
    const inv = peer.all[0];
    await peer.send(responseTo(inv, 180, undefined, 'tt').toBuffer(), s.listening[0].port);
    await sleep(T1 * 4);
    expect(peer.count((m) => m.method === 'INVITE')).toBeLessThanOrEqual(sent + 1);
    const busy = responseTo(inv, 486, undefined, 'tt').toBuffer();
    await peer.send(busy, s.listening[0].port);
    const ack = await peer.next((m) => m.method === 'ACK');
    expect(parseVia(ack.get('Via') ?? '').params.branch).toBe(parseVia(inv.get('Via') ?? '').params.branch);
    expect(ack.toTag).toBe('tt');
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.uri).toBe(inv.uri);
    await peer.send(busy, s.listening[0].port);
    await peer.next((m) => m.method === 'ACK');
    expect(res.map((r) => r.status)).toEqual([180, 486]);
    expect(txn.state).toBe('completed');
  });

  it('emits every 2xx (retransmissions and forks) for the dialog layer to ACK, and never ACKs 2xx itself', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('INVITE', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    const inv = await peer.next((m) => m.method === 'INVITE');
    const ok = responseTo(inv, 200, undefined, 'a').toBuffer();
    await peer.send(ok, s.listening[0].port);
    await peer.send(ok, s.listening[0].port);
    await peer.send(responseTo(inv, 200, undefined, 'b').toBuffer(), s.listening[0].port);
    await eventually(() => res.length === 3);
    expect(res.map((r) => r.toTag)).toEqual(['a', 'a', 'b']);
    expect(txn.state).toBe('accepted');
    expect(peer.count((m) => m.method === 'ACK')).toBe(0);
    await sleep(T1 * 3);
    expect(peer.count((m) => m.method === 'INVITE')).toBe(1);
  });

  it('Timer B: no answer -> synthesized 408 response, then timeout', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('INVITE', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    await new Promise((r) => txn.on('timeout', r));
    expect(res.map((r) => r.status)).toEqual([408]);
    expect(s.transactionCount.client).toBe(0);
    // A doubles without cap: 0,1,3,7,15,31,63 T1
    expect(peer.count((m) => m.method === 'INVITE')).toBe(7);
  });

  it('cancel() waits for a provisional, sends CANCEL with the INVITE branch; 487 is ACKed', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('INVITE', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    const inv = await peer.next((m) => m.method === 'INVITE');
    txn.cancel([{ name: 'Reason', value: 'SIP;cause=487' }]);
    await sleep(T1 / 2);
    expect(peer.count((m) => m.method === 'CANCEL')).toBe(0);
    await peer.send(responseTo(inv, 180, undefined, 'r').toBuffer(), s.listening[0].port);
    const cancel = await peer.next((m) => m.method === 'CANCEL');
    expect(cancel.get('Via')).toBe(inv.get('Via'));
    expect(cancel.cseq).toEqual({ seq: 1, method: 'CANCEL' });
    expect(cancel.get('Reason')).toBe('SIP;cause=487');
    expect(cancel.toTag).toBeUndefined();
    await peer.send(responseTo(cancel, 200).toBuffer(), s.listening[0].port);
    await peer.send(responseTo(inv, 487, undefined, 'r').toBuffer(), s.listening[0].port);
    await peer.next((m) => m.method === 'ACK');
    expect(res.map((r) => r.status)).toEqual([180, 487]);
    await eventually(() => s.transactionCount.client <= 1); // INVITE in Timer D
  });

  it('over TCP sends once (no Timer A)', async () => {
    const s = await startStack({ timers: FAST_TIMERS });
    cleanup.push(() => s.stop());
    const { createServer } = await import('node:net');
    const { StreamFramer } = await import('../../src/sip/engine/parser.js');
    const seen: SipMessage[] = [];
    const socks: import('node:net').Socket[] = [];
    const server = createServer((sock) => {
      socks.push(sock);
      const f = new StreamFramer();
      sock.on('data', (c: Buffer) => seen.push(...f.push(c)));
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => {
      for (const k of socks) k.destroy();
      server.close(() => r());
    }));
    const p = (server.address() as { port: number }).port;
    const txn = s.sendRequest(request('INVITE', p, 'tcp'), { transport: 'tcp', address: '127.0.0.1', port: p });
    await sleep(T1 * 6);
    expect(seen.map((m) => m.method)).toEqual(['INVITE']);
    expect(seen[0].get('Via')).toMatch(/^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK\w+;rport$/);
    txn.terminate();
  });
});

describe('non-INVITE client transaction', () => {
  it('Timer E doubles to T2, a final response stops it and Timer K ends the transaction', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('OPTIONS', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    // 0,1,3,7,15 T1, then every T2 = 8*T1: the 6th send comes no earlier than 23*T1
    const t0 = Date.now();
    await eventually(() => peer.count((m) => m.method === 'OPTIONS') >= 5, 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(14 * T1);
    await sleep(T1 * 4);
    const sent = peer.count((m) => m.method === 'OPTIONS');
    expect(sent).toBeLessThanOrEqual(6);
    const req = peer.all[0];
    await peer.send(responseTo(req, 200).toBuffer(), s.listening[0].port);
    await peer.send(responseTo(req, 200).toBuffer(), s.listening[0].port);
    await eventually(() => res.length === 1);
    await sleep(30);
    expect(res).toHaveLength(1);
    await eventually(() => s.transactionCount.client === 0, FAST_TIMERS.T4 + 500);
  });

  it('Timer F: synthesized 408 then timeout', async () => {
    const { s, peer } = await setup();
    const txn = s.sendRequest(request('REGISTER', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const res = responses(txn);
    await new Promise((r) => txn.on('timeout', r));
    expect(res.map((r) => r.status)).toEqual([408]);
    expect(s.transactionCount.client).toBe(0);
  });
});

describe('robustness', () => {
  it('a throwing upper-layer listener neither crashes the stack nor leaks the transaction', async () => {
    const { s, peer, port } = await setup();
    s.on('request', () => {
      throw new Error('app bug');
    });
    const txn = s.sendRequest(request('OPTIONS', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
    txn.on('response', () => {
      throw new Error('app bug in response handler');
    });
    const req = await peer.next((m) => m.method === 'OPTIONS');
    await peer.send(responseTo(req, 200).toBuffer(), port);
    await peer.send(rawRequest({ method: 'OPTIONS', viaPort: peer.port, callId: 'throws' }), port);
    await eventually(() => s.transactionCount.client === 0, FAST_TIMERS.T4 + 500);
    // the server transaction the throwing app never answered is given up after 64*T1
    await eventually(() => s.transactionCount.server === 0, 64 * T1 + 1000);
  });
});

describe('stateless sending', () => {
  it('adds our Via once to a request sent statelessly (ACK for 2xx), even when re-sent', async () => {
    const { s, peer } = await setup();
    const ack = request('ACK', peer.port);
    const dest: Endpoint = { transport: 'udp', address: '127.0.0.1', port: peer.port };
    s.sendStateless(ack, dest);
    s.sendStateless(ack, dest);
    await eventually(() => peer.all.length === 2);
    expect(peer.all.map((m) => m.getAll('Via').length)).toEqual([1, 1]);
    expect(peer.all[0].get('Via')).toBe(peer.all[1].get('Via'));
    expect(() => s.sendRequest(request('ACK', peer.port), dest)).toThrow(/sendStateless/);
  });

  it('resolveTarget and contactFor', async () => {
    const { s } = await setup();
    expect(s.resolveTarget('sip:bob@localhost:5070;transport=TCP')).toEqual({ transport: 'tcp', address: '127.0.0.1', port: 5070 });
    expect(s.resolveTarget('sip:10.1.2.3')).toEqual({ transport: 'udp', address: '10.1.2.3', port: 5060 });
    expect(() => s.resolveTarget('sip:example.com')).toThrow(/IP literals/);
    expect(s.contactFor('tcp')).toBe(`sip:127.0.0.1:${s.listening[1].port};transport=tcp`);
  });
});
