import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import {
  canonicalHeaderName, completeNewRequest, completeResponse, parsePartial, PartialMessageError, replaceLocalhost, withTag,
} from '../../../src/sip/engine/complete-message.js';
import { SipMessage } from '../../../src/sip/engine/message.js';

// srf's own serializer produces the partial messages the engine receives
const require = createRequire(import.meta.url);
const SrfSipMessage = require('drachtio-srf/lib/sip-parser/message.js') as new (o: object) => { toString(): string };

const local = { hostport: '127.0.0.1:5080', contactUri: 'sip:127.0.0.1:5080' };

describe('partial app messages', () => {
  it('parses what srf serializes (lower-case names, UTF-16 Content-Length)', () => {
    const text = new SrfSipMessage({
      uri: 'sip:1234@127.0.0.1:5070', method: 'INVITE',
      headers: { from: 'sip:1000@localhost', contact: 'sip:1000@localhost', 'X-Custom': 'a|b' }, body: 'v=0\r\ns=ü\r\n',
    }).toString();
    const m = parsePartial(text);
    expect(m.kind).toBe('request');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:1234@127.0.0.1:5070');
    expect(m.get('From')).toBe('sip:1000@localhost');
    expect(m.headers.map((h) => h.name)).toEqual(['From', 'Contact', 'X-Custom']);
    expect(m.body.toString()).toBe('v=0\r\ns=ü\r\n');
  });

  it('parses responses and rejects garbage', () => {
    const r = parsePartial('SIP/2.0 486 Busy Here\r\ncall-id: x\r\n\r\n');
    expect([r.kind, r.status, r.reason, r.get('Call-ID')]).toEqual(['response', 486, 'Busy Here', 'x']);
    expect(() => parsePartial('hello world')).toThrow(PartialMessageError);
    expect(() => parsePartial('INVITE sip:a SIP/2.0\r\nno colon here\r\n\r\n')).toThrow(PartialMessageError);
    expect(() => parsePartial('SIP/2.0 999 Nope\r\n\r\n')).toThrow(PartialMessageError);
  });

  it('canonicalizes header names and replaces localhost', () => {
    expect(canonicalHeaderName('call-id')).toBe('Call-ID');
    expect(canonicalHeaderName('content-type')).toBe('Content-Type');
    expect(canonicalHeaderName('X-Foo')).toBe('X-Foo');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(replaceLocalhost('"Bob" <sip:1000@localhost>', '10.0.0.1:5060')).toBe('"Bob" <sip:1000@10.0.0.1:5060>');
    expect(replaceLocalhost('sip:localhost:5060;transport=tcp', '10.0.0.1:5060')).toBe('sip:10.0.0.1:5060;transport=tcp');
    expect(withTag('sip:1000@h', 'abc')).toBe('<sip:1000@h>;tag=abc');
    expect(withTag('<sip:1000@h>;tag=x', 'abc')).toBe('<sip:1000@h>;tag=x');
  });
});

describe('completing app messages', () => {
  it('fills a new out-of-dialog request', () => {
    const m = parsePartial('INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nfrom: sip:alice@localhost\r\n\r\nv=0\r\n');
    completeNewRequest(m, local, '127.0.0.1');
    expect(m.get('Max-Forwards')).toBe('70');
    expect(m.get('From')).toMatch(/^<sip:alice@127\.0\.0\.1:5080>;tag=[0-9a-f]+$/);
    expect(m.get('To')).toBe('<sip:bob@127.0.0.1:5070>');
    expect(m.get('Call-ID')).toMatch(/@127\.0\.0\.1$/);
    expect(m.cseq.method).toBe('INVITE');
    expect(m.get('Contact')).toBe('<sip:alice@127.0.0.1:5080>');
    expect(m.get('Content-Type')).toBe('application/sdp');
    expect(m.toString()).toContain('Content-Length: 5\r\n');
  });

  it('keeps Call-ID, CSeq and From of a digest retry', () => {
    const m = parsePartial('REGISTER sip:127.0.0.1 SIP/2.0\r\nCSeq: 2 REGISTER\r\ncall-id: abc\r\nFrom: <sip:a@b>;tag=t1\r\nContact: <sip:a@10.1.1.1>\r\n\r\n');
    completeNewRequest(m, local, '127.0.0.1');
    expect([m.get('CSeq'), m.callId, m.fromTag, m.get('Contact')]).toEqual(['2 REGISTER', 'abc', 't1', '<sip:a@10.1.1.1>']);
  });

  it('completes a response: Vias and dialog headers from the request, To-tag, Contact, Record-Route', () => {
    const req = SipMessage.request('INVITE', 'sip:svc@127.0.0.1');
    req.add('Via', 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1');
    req.add('Via', 'SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK0');
    req.add('Record-Route', '<sip:10.0.0.2;lr>');
    req.add('From', '<sip:a@b>;tag=ft');
    req.add('To', '<sip:svc@127.0.0.1>');
    req.add('Call-ID', 'c1');
    req.add('CSeq', '1 INVITE');
    const res = parsePartial('SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n');
    completeResponse(res, { request: req, localTag: 'lt', local });
    expect(res.getAll('Via')).toHaveLength(2);
    expect(res.toTag).toBe('lt');
    expect(res.get('Contact')).toBe('<sip:127.0.0.1:5080>');
    expect(res.get('Record-Route')).toBe('<sip:10.0.0.2;lr>');
    const trying = parsePartial('SIP/2.0 100 Trying\r\n\r\n');
    completeResponse(trying, { request: req, localTag: 'lt', local });
    expect(trying.toTag).toBeUndefined();
  });
});
