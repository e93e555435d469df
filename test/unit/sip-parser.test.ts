import { describe, expect, it } from 'vitest';
import { parseMessage, PARSER_LIMITS, SipParseError, StreamFramer } from '../../src/sip/engine/parser.js';
import type { SipMessage } from '../../src/sip/engine/message.js';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

const buf = (s: string) => Buffer.from(s, 'utf8');

function expectParseError(text: string | Buffer, re?: RegExp): SipParseError {
  try {
    parseMessage(typeof text === 'string' ? buf(text) : text);
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    if (re) expect((e as Error).message).toMatch(re);
    return e as SipParseError;
  }
  throw new Error(`parsed although malformed:\n${text.toString()}`);
}

describe('parseMessage', () => {
  it('parses a request', () => {
    const m = parseMessage(buf(INVITE));
    expect(m.kind).toBe('request');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:bob@biloxi.example.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.fromTag).toBe('1928301774');
    expect(m.body.toString()).toBe('v=0\n');
    expect(m.headers[0]).toEqual({ name: 'Via', value: 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds' });
  });

  it('parses a response with compact headers, folding and an empty reason', () => {
    const m = parseMessage(buf(['SIP/2.0 180 ', 'v: SIP/2.0/TCP h:5060;branch=z9hG4bKa', 'f: <sip:a@h>;tag=1', 't: <sip:b@h>', '  ;tag=2', 'i: x@y', 'CSeq: 1 INVITE', 'l: 0', '', ''].join('\r\n')));
    expect(m.status).toBe(180);
    expect(m.reason).toBe('');
    expect(m.toTag).toBe('2');
    expect(m.callId).toBe('x@y');
  });

  it('ignores bytes past Content-Length on UDP and takes the rest without it', () => {
    expect(parseMessage(buf(INVITE + 'extra')).body.toString()).toBe('v=0\n');
    const noLen = INVITE.replace('Content-Length: 4\r\n', '');
    expect(parseMessage(buf(noLen)).body.toString()).toBe('v=0\n');
    expect(() => parseMessage(buf(noLen), { framed: true })).toThrow(SipParseError);
  });

  it('round-trips through toBuffer', () => {
    const m = parseMessage(buf(INVITE));
    expect(m.toBuffer().toString()).toBe(INVITE);
  });

  it.each([
    ['empty', '', /no end of headers/],
    ['no header end', 'OPTIONS sip:a@b SIP/2.0\r\nVia: x', /no end of headers/],
    ['bad version', INVITE.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'), /version/],
    ['extra space in request line', INVITE.replace('INVITE sip', 'INVITE  sip'), /request line/],
    ['bad method', INVITE.replace('INVITE sip', 'IN(VITE sip').replace('314159 INVITE', '314159 IN(VITE'), /method/],
    ['bad request uri', INVITE.replace('sip:bob@biloxi.example.com SIP', 'bob@biloxi SIP'), /URI/],
    ['bad status', 'SIP/2.0 99 Nope\r\n\r\n', /status/],
    ['missing Call-ID', INVITE.replace(/Call-ID: .*\r\n/, ''), /missing call-id/],
    ['two CSeq', INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 INVITE\r\nCSeq: 1 INVITE'), /duplicate cseq/],
    ['CSeq method mismatch', INVITE.replace('314159 INVITE', '314159 ACK'), /CSeq method/],
    ['CSeq number too large', INVITE.replace('314159 INVITE', '99999999999 INVITE'), /CSeq/],
    ['negative Content-Length', INVITE.replace('Content-Length: 4', 'Content-Length: -4'), /Content-Length/],
    ['Content-Length beyond body', INVITE.replace('Content-Length: 4', 'Content-Length: 400'), /shorter/],
    ['bad Via', INVITE.replace('SIP/2.0/UDP pc33', 'SIP/2.0/UDP'), /Via/],
    ['unterminated < in From', INVITE.replace('atlanta.example.com>;tag', 'atlanta.example.com;tag'), /unterminated/],
    ['unterminated quote', INVITE.replace('To: Bob', 'To: "Bob'), /unterminated/],
    ['NUL in header', INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 7\u00000'), /control/],
    ['header without colon', INVITE.replace('Max-Forwards: 70', 'Max-Forwards 70'), /without name/],
    ['Max-Forwards not a number', INVITE.replace('Max-Forwards: 70', 'Max-Forwards: seventy'), /Max-Forwards/],
    ['space in Call-ID', INVITE.replace('Call-ID: a84b', 'Call-ID: a8 4b'), /Call-ID/],
  ])('rejects %s', (_name, text, re) => {
    expectParseError(text, re);
  });

  it('keeps what it parsed of a bad request so the stack can answer 400', () => {
    const e = expectParseError(INVITE.replace('Max-Forwards: 70', 'Max-Forwards: many'));
    expect(e.partial?.method).toBe('INVITE');
    expect(e.partial?.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(expectParseError('SIP/2.0 200 OK\r\nVia: x\r\n\r\n').partial).toBeUndefined();
  });

  it('bounds header size and count', () => {
    expectParseError(INVITE.replace('Max-Forwards: 70', `X-Big: ${'a'.repeat(PARSER_LIMITS.maxHeadBytes)}`), /too large/);
    expectParseError(INVITE.replace('Max-Forwards: 70', Array.from({ length: PARSER_LIMITS.maxHeaders + 1 }, (_, i) => `X-${i}: 1`).join('\r\n')), /too many/);
  });
});

describe('StreamFramer', () => {
  const wire = buf(INVITE);

  it('frames messages split across chunks at every byte and skips CRLF keep-alives', () => {
    for (let cut = 1; cut < wire.length; cut += 7) {
      const f = new StreamFramer();
      const got: SipMessage[] = [];
      got.push(...f.push(Buffer.concat([buf('\r\n\r\n'), wire.subarray(0, cut)])));
      got.push(...f.push(Buffer.concat([wire.subarray(cut), buf('\r\n'), wire])));
      expect(got.map((m) => m.cseq.seq), `cut ${cut}`).toEqual([314159, 314159]);
      expect(f.buffered).toBe(0);
    }
  });

  it('reports a well-framed bad message and carries on', () => {
    const errors: [string, boolean][] = [];
    const f = new StreamFramer({ onError: (e, fatal) => errors.push([e.message, fatal]) });
    const bad = buf(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: x INVITE'));
    const got = f.push(Buffer.concat([bad, wire]));
    expect(got).toHaveLength(1);
    expect(errors).toEqual([['invalid CSeq number', false]]);
    expect(f.broken).toBe(false);
  });

  it('gives up on unframeable streams (no Content-Length, endless headers, huge body)', () => {
    for (const bad of [
      buf(INVITE.replace('Content-Length: 4\r\n', '')),
      buf('OPTIONS sip:a@b SIP/2.0\r\nX: ' + 'a'.repeat(PARSER_LIMITS.maxHeadBytes + 10)),
      buf(INVITE.replace('Content-Length: 4', `Content-Length: ${PARSER_LIMITS.maxBodyBytes + 1}`)),
    ]) {
      const fatal: boolean[] = [];
      const f = new StreamFramer({ onError: (_e, isFatal) => fatal.push(isFatal) });
      f.push(bad);
      expect(fatal).toEqual([true]);
      expect(f.broken).toBe(true);
      expect(f.push(wire)).toEqual([]);
      expect(() => new StreamFramer().push(bad)).toThrow(SipParseError);
    }
  });
});
