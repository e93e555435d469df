import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import Srf from 'drachtio-srf';
import { ControlServer, ENGINE_VERSION, type AppConnection, type ControlHandler } from '../../../src/sip/engine/control-server.js';
import { encodeFrame, FrameDecoder, ControlFramingError, splitPayload, stackTime } from '../../../src/sip/engine/control-framing.js';

describe('control framing', () => {
  it('frames by UTF-8 byte length and reassembles split chunks', () => {
    const payload = 'id|sip|x\r\nMESSAGE sip:a SIP/2.0\r\n\r\nhällo ✓';
    const frame = encodeFrame(payload);
    expect(frame.toString().startsWith(`${Buffer.byteLength(payload)}#`)).toBe(true);
    const d = new FrameDecoder();
    const both = Buffer.concat([frame, encodeFrame('b|ping')]);
    const out: string[] = [];
    for (let i = 0; i < both.length; i += 3) out.push(...d.push(both.subarray(i, Math.min(i + 3, both.length))));
    expect(out).toEqual([payload, 'b|ping']);
  });

  it('rejects a stream without a valid length prefix', () => {
    expect(() => new FrameDecoder().push(Buffer.from('abc#def'))).toThrow(ControlFramingError);
    expect(() => new FrameDecoder().push(Buffer.from('0#'))).toThrow(ControlFramingError);
    expect(() => new FrameDecoder().push(Buffer.from('1234567890123'))).toThrow(ControlFramingError);
  });

  it('splits the meta line from the SIP text and formats stack time', () => {
    expect(splitPayload('a|b|c\r\nINVITE x SIP/2.0\r\n')).toEqual({ tokens: ['a', 'b', 'c'], sip: 'INVITE x SIP/2.0\r\n' });
    expect(splitPayload('a|ping')).toEqual({ tokens: ['a', 'ping'], sip: undefined });
    expect(stackTime(new Date(Date.UTC(2026, 0, 1, 3, 4, 5, 67)))).toBe('03:04:05.067000');
  });
});

describe('control server with drachtio-srf', () => {
  const log = pino({ level: 'silent' });
  let server: ControlServer | undefined;
  const sockets: Socket[] = [];
  const srfs: Srf[] = [];
  const received: { type: string; tokens: string[]; sip?: string }[] = [];

  const handler: ControlHandler = {
    onSip(conn: AppConnection, msgId: string, tokens: string[], sip: string | undefined) {
      received.push({ type: 'sip', tokens, sip });
      if (!sip) throw new Error('missing SIP message');
      conn.reply(msgId, 'OK|application|0|udp|127.0.0.1|5060|00:00:00.000000|t1||');
    },
    onProxy() {
      throw new Error('proxy not supported here');
    },
    onDisconnect() {},
    hostports: () => 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060',
  };

  afterEach(async () => {
    for (const s of srfs.splice(0)) {
      try {
        s.disconnect();
      } catch {
        // not connected
      }
    }
    for (const s of sockets.splice(0)) s.destroy();
    await server?.stop();
    server = undefined;
    received.length = 0;
  });

  async function start(): Promise<number> {
    server = new ControlServer({ host: '127.0.0.1', port: 0, secret: 's3cret', log, handler });
    return server.start();
  }

  function connectSrf(port: number, secret: string): Promise<{ err: Error | null; hostport?: string; version?: string; srf: Srf }> {
    const srf = new Srf();
    srfs.push(srf);
    srf.on('error', () => undefined);
    return new Promise((resolve) => {
      srf.on('connect', (err: Error | null, hostport: string, version?: string) => resolve({ err, hostport, version, srf }));
      srf.connect({ host: '127.0.0.1', port, secret });
    });
  }

  it('authenticates srf, reports SIP hostports and a version that enables pings, registers routes', async () => {
    const port = await start();
    const r = await connectSrf(port, 's3cret');
    expect(r.err).toBeNull();
    expect(r.hostport).toBe('udp/127.0.0.1:5060,tcp/127.0.0.1:5060');
    expect(r.version).toBe(ENGINE_VERSION);
    r.srf.invite((_req, res) => res.send(486));
    r.srf.use('register', (_req, res) => res.send(200));
    await new Promise((res) => setTimeout(res, 100));
    expect(server!.appsFor('invite')).toHaveLength(1);
    expect(server!.appsFor('register')).toHaveLength(1);
    expect(server!.appsFor('options')).toHaveLength(0);
  });

  it('rejects a wrong secret', async () => {
    const port = await start();
    const r = await connectSrf(port, 'wrong');
    expect(r.err).toBeInstanceOf(Error);
  });

  it('round-robins between apps registered for the same verb', async () => {
    const port = await start();
    const a = await connectSrf(port, 's3cret');
    const b = await connectSrf(port, 's3cret');
    a.srf.invite(() => undefined);
    b.srf.invite(() => undefined);
    await new Promise((res) => setTimeout(res, 100));
    const picks = [server!.pickApp('invite'), server!.pickApp('invite'), server!.pickApp('invite')];
    expect(picks[0]).toBeDefined();
    expect(picks[0]).not.toBe(picks[1]);
    expect(picks[0]).toBe(picks[2]);
  });

  it('answers pings and gives NOK for bad or unauthenticated messages without dropping the app', async () => {
    const port = await start();
    const sock = connect(port, '127.0.0.1');
    sockets.push(sock);
    const dec = new FrameDecoder();
    const replies: string[] = [];
    sock.on('data', (c) => replies.push(...dec.push(c)));
    const send = (s: string) => sock.write(encodeFrame(s));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && replies.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(replies.length).toBeGreaterThanOrEqual(n);
    };
    await new Promise<void>((r) => sock.once('connect', () => r()));
    send('m0|ping');
    await waitFor(1);
    expect(replies[0]).toMatch(/^[^|]+\|response\|m0\|NOK\|not authenticated/);
    send('m1|authenticate|s3cret|');
    await waitFor(2);
    expect(replies[1]).toMatch(/\|response\|m1\|OK\|udp\/127\.0\.0\.1:5060/);
    send('m2|ping');
    send('m3|bogus|x');
    send('m4|sip|||');
    send('m5|route');
    send('|');
    await waitFor(7);
    expect(replies[2]).toMatch(/\|response\|m2\|OK\|pong$/);
    expect(replies[3]).toMatch(/\|response\|m3\|NOK\|unknown message type bogus/);
    expect(replies[4]).toMatch(/\|response\|m4\|NOK\|missing SIP message/);
    expect(replies[5]).toMatch(/\|response\|m5\|NOK\|/);
    expect(replies[6]).toMatch(/\|response\|unknown\|NOK\|malformed message/);
    send('m6|ping');
    await waitFor(8);
    expect(replies[7]).toMatch(/\|response\|m6\|OK\|pong$/);
  });

  it('closes a connection that breaks the framing', async () => {
    const port = await start();
    const sock = connect(port, '127.0.0.1');
    sockets.push(sock);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write('this is not framed at all');
    await closed;
    expect(server!.connectionCount).toBe(0);
  });
});
