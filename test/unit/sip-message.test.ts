import { describe, expect, it } from 'vitest';
import { SipMessage, responseTo } from '../../src/sip/engine/message.js';
import { SipParseError } from '../../src/sip/engine/parser.js';
import { newBranch, newCallId, newTag, parseNameAddr, parseUri, parseVia } from '../../src/sip/engine/uri.js';

describe('SipMessage', () => {
  it('looks headers up case-insensitively and by compact form', () => {
    const m = SipMessage.request('INVITE', 'sip:a@b');
    m.add('i', 'abc@h');
    m.add('f', '<sip:x@y>;tag=1');
    m.add('To', '<sip:a@b>');
    m.add('l', '0');
    expect(m.get('Call-ID')).toBe('abc@h');
    expect(m.get('call-id')).toBe('abc@h');
    expect(m.callId).toBe('abc@h');
    expect(m.fromTag).toBe('1');
    expect(m.toTag).toBeUndefined();
    expect(m.has('FROM')).toBe(true);
    expect(m.get('Content-Length')).toBe('0');
  });

  it('splits Via/Contact/Route lists but not other headers', () => {
    const m = SipMessage.request('INVITE', 'sip:a@b');
    m.add('Via', 'SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2');
    m.add('v', 'SIP/2.0/TCP c:3;branch=z9hG4bK3');
    m.add('Route', '<sip:p1;lr>, <sip:p2;lr>');
    m.add('Contact', '"Doe, John" <sip:j@h>');
    m.add('Allow', 'INVITE, ACK');
    expect(m.getAll('Via')).toEqual(['SIP/2.0/UDP a:1;branch=z9hG4bK1', 'SIP/2.0/UDP b:2;branch=z9hG4bK2', 'SIP/2.0/TCP c:3;branch=z9hG4bK3']);
    expect(m.get('Via')).toBe('SIP/2.0/UDP a:1;branch=z9hG4bK1');
    expect(m.getAll('Route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>']);
    expect(m.getAll('Contact')).toEqual(['"Doe, John" <sip:j@h>']);
    expect(m.getAll('Allow')).toEqual(['INVITE, ACK']);
    m.removeFirst('Via');
    expect(m.get('Via')).toBe('SIP/2.0/UDP b:2;branch=z9hG4bK2');
  });

  it('set replaces every copy in place, prepend goes first, remove removes all', () => {
    const m = SipMessage.request('OPTIONS', 'sip:a@b');
    m.add('X-A', '1');
    m.add('Via', 'v1');
    m.add('X-A', '2');
    m.set('x-a', '3');
    expect(m.headers.map((h) => h.value)).toEqual(['3', 'v1']);
    m.prepend('Via', 'v0');
    expect(m.getAll('Via')).toEqual(['v0', 'v1']);
    m.remove('VIA');
    expect(m.has('Via')).toBe(false);
  });

  it('serializes with a recomputed Content-Length and parses CSeq', () => {
    const m = SipMessage.request('INVITE', 'sip:a@b');
    m.add('CSeq', '42 INVITE');
    m.add('Content-Length', '999');
    m.body = Buffer.from('v=0\r\n');
    expect(m.cseq).toEqual({ seq: 42, method: 'INVITE' });
    expect(m.toString()).toBe('INVITE sip:a@b SIP/2.0\r\nCSeq: 42 INVITE\r\nContent-Length: 5\r\n\r\nv=0\r\n');
    const r = SipMessage.response(180);
    expect(r.toString()).toBe('SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n');
    const c = m.clone();
    c.set('CSeq', '43 INVITE');
    expect(m.cseq.seq).toBe(42);
  });

  it('responseTo copies the transaction headers and adds a To tag', () => {
    const req = SipMessage.request('INVITE', 'sip:a@b');
    req.add('Via', 'SIP/2.0/UDP h:1;branch=z9hG4bKx');
    req.add('Via', 'SIP/2.0/UDP g:2;branch=z9hG4bKy');
    req.add('From', '<sip:x@y>;tag=f');
    req.add('To', '<sip:a@b>');
    req.add('Call-ID', 'c');
    req.add('CSeq', '1 INVITE');
    const r = responseTo(req, 486, undefined, 'tt');
    expect(r.reason).toBe('Busy Here');
    expect(r.getAll('Via')).toHaveLength(2);
    expect(r.toTag).toBe('tt');
    expect(responseTo(req, 100, undefined, 'tt').toTag).toBeUndefined();
  });
});

describe('URI and header scanners', () => {
  it('parses SIP URIs', () => {
    expect(parseUri('sip:alice:pw@[::1]:5070;transport=tcp;lr?subject=hi')).toEqual({
      scheme: 'sip', user: 'alice', password: 'pw', host: '[::1]', port: 5070, params: { transport: 'tcp', lr: '' }, headers: { subject: 'hi' },
    });
    expect(parseUri('sip:+1;npdi@example.com')).toMatchObject({ user: '+1;npdi', host: 'example.com' });
    expect(parseUri('tel:+15551234;phone-context=x')).toMatchObject({ scheme: 'tel', user: '+15551234' });
    for (const bad of ['sip:', 'nocolon', 'sip:host:99999', 'sip:ho st', 'sip:@h', 'sip:h;=x', '1sip:h', 'sip:[::1']) {
      expect(() => parseUri(bad), bad).toThrow(SipParseError);
    }
  });

  it('parses name-addr forms', () => {
    expect(parseNameAddr('"Bob \\"B\\"" <sip:bob@h>;tag=9')).toEqual({ display: 'Bob \\"B\\"', uri: 'sip:bob@h', params: { tag: '9' } });
    expect(parseNameAddr('Bob Smith <sip:bob@h:5060;transport=tcp>')).toEqual({ display: 'Bob Smith', uri: 'sip:bob@h:5060;transport=tcp', params: {} });
    // addr-spec: ;tag belongs to the header
    expect(parseNameAddr('sip:bob@h;tag=1')).toEqual({ uri: 'sip:bob@h', params: { tag: '1' } });
    expect(parseNameAddr('*').uri).toBe('*');
    for (const bad of ['<sip:bob@h', '"open <sip:a@b>', 'a@b', '<sip:a@b>;=1', 'x"y <sip:a@b>']) {
      expect(() => parseNameAddr(bad), bad).toThrow(SipParseError);
    }
  });

  it('parses Via with LWS, IPv6 and flag params', () => {
    expect(parseVia('SIP / 2.0 / UDP 10.0.0.1 : 5060 ;branch=z9hG4bK1;rport')).toEqual({ transport: 'UDP', host: '10.0.0.1', port: 5060, params: { branch: 'z9hG4bK1', rport: '' } });
    expect(parseVia('SIP/2.0/TCP [2001:db8::1];received=1.2.3.4')).toEqual({ transport: 'TCP', host: '[2001:db8::1]', params: { received: '1.2.3.4' } });
    for (const bad of ['SIP/2.0 host', 'SIP/3.0/UDP h', 'SIP/2.0/UDP', 'SIP/2.0/UDP h:0', 'SIP/2.0/UDP h;branch=']) {
      expect(() => parseVia(bad), bad).toThrow(SipParseError);
    }
  });

  it('makes unique identifiers', () => {
    const b = newBranch();
    expect(b.startsWith('z9hG4bK')).toBe(true);
    expect(newBranch()).not.toBe(b);
    expect(newTag()).toMatch(/^[0-9a-f]{12}$/);
    expect(newCallId('h.example')).toMatch(/@h\.example$/);
  });
});
