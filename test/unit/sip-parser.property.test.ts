import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipMessage } from '../../src/sip/engine/message.js';
import { parseMessage, SipParseError, StreamFramer } from '../../src/sip/engine/parser.js';

/*
 * Property tests: valid messages round-trip; mutated ones (byte flips, truncations, deleted or
 * duplicated lines, huge values, injected control bytes) either parse or throw SipParseError,
 * and whatever parses re-serializes to something that parses to the same message.
 */

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const label = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 1, maxLength: 10 });
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((n) => n.join('.')),
  fc.constant('[2001:db8::1]'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const hostport = fc.tuple(host, port).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
const uri = fc.tuple(fc.constantFrom('sip', 'sips'), fc.option(label, { nil: undefined }), hostport, fc.option(fc.constantFrom(';transport=tcp', ';lr', ';user=phone'), { nil: '' })).map(
  ([s, u, hp, p]) => `${s}:${u ? `${u}@` : ''}${hp}${p}`,
);
const method = fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'NOTIFY', 'X-CUSTOM');
const via = fc.tuple(fc.constantFrom('UDP', 'TCP'), hostport, token).map(([t, hp, b]) => `SIP/2.0/${t} ${hp};branch=z9hG4bK${b};rport`);
const nameAddr = fc.tuple(fc.option(fc.constantFrom('"Alice"', 'Bob', '"A, B \\"x\\""'), { nil: undefined }), uri, fc.option(token, { nil: undefined })).map(
  ([d, u, tag]) => `${d ? `${d} ` : ''}<${u}>${tag ? `;tag=${tag}` : ''}`,
);
const headerValue = fc.string({ unit: fc.constantFrom(...'abc xyz,;=:<>"@/0123456789'.split('')), maxLength: 40 }).map((s) => s.trim());
const extraHeader = fc.tuple(token.map((t) => `X-${t}`), headerValue);
const body = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

const validMessage = fc
  .record({
    isRequest: fc.boolean(),
    method,
    uri,
    status: fc.integer({ min: 100, max: 699 }),
    reason: fc.string({ unit: fc.constantFrom(...'abcdef OK-'.split('')), maxLength: 20 }).map((s) => s.trim()),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: fc.tuple(token, fc.option(host, { nil: undefined })).map(([a, h]) => (h ? `${a}@${h}` : a)),
    seq: fc.integer({ min: 0, max: 0x7fffffff }),
    maxForwards: fc.integer({ min: 0, max: 255 }),
    extras: fc.array(extraHeader, { maxLength: 5 }),
    body,
    compact: fc.boolean(),
  })
  .map((r) => {
    const m = r.isRequest ? SipMessage.request(r.method, r.uri) : SipMessage.response(r.status, r.reason);
    for (const v of r.vias) m.add(r.compact ? 'v' : 'Via', v);
    m.add(r.compact ? 'f' : 'From', r.from);
    m.add(r.compact ? 't' : 'To', r.to);
    m.add(r.compact ? 'i' : 'Call-ID', r.callId);
    m.add('CSeq', `${r.seq} ${r.method}`);
    m.add('Max-Forwards', String(r.maxForwards));
    for (const [n, v] of r.extras) m.add(n, v);
    m.body = r.body;
    return m;
  });

function comparable(m: SipMessage) {
  return {
    kind: m.kind, method: m.method, uri: m.uri, status: m.status, reason: m.reason,
    headers: m.headers.filter((h) => !/^(content-length|l)$/i.test(h.name)),
    body: m.body.toString('hex'),
  };
}

/** parse that lets only SipParseError through; anything else fails the property. */
function tryParse(b: Buffer): SipMessage | undefined {
  try {
    return parseMessage(b);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw new Error(`non-SipParseError escaped: ${(e as Error).stack}`);
    return undefined;
  }
}

type Mutation = (b: Buffer) => Buffer;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => (b: Buffer) => {
    const c = Buffer.from(b);
    for (const [i, v] of flips) if (c.length) c[i % c.length] = v;
    return c;
  }),
  fc.nat().map((n) => (b: Buffer) => b.subarray(0, b.length ? n % b.length : 0)),
  fc.nat().map((n) => (b: Buffer) => {
    const lines = b.toString('latin1').split('\r\n');
    lines.splice(1 + (n % Math.max(1, lines.length - 1)), 1);
    return Buffer.from(lines.join('\r\n'), 'latin1');
  }),
  fc.nat().map((n) => (b: Buffer) => {
    const lines = b.toString('latin1').split('\r\n');
    const i = n % lines.length;
    lines.splice(i, 0, lines[i]);
    return Buffer.from(lines.join('\r\n'), 'latin1');
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1000, max: 70_000 }), fc.constantFrom('a', ',', ';', '<', '"', ' ', '\\', 'sip:', '%')).map(([n, size, unit]) => (b: Buffer) => {
    const s = b.toString('latin1');
    const i = n % Math.max(1, s.length);
    return Buffer.from(s.slice(0, i) + unit.repeat(Math.ceil(size / unit.length)) + s.slice(i), 'latin1');
  }),
  fc.tuple(fc.nat(), fc.constantFrom('\r', '\n', '\0', '\r\n', '\r\n\r\n', ':', '\t', '\u00ff')).map(([n, ins]) => (b: Buffer) => {
    const s = b.toString('latin1');
    const i = n % Math.max(1, s.length);
    return Buffer.from(s.slice(0, i) + ins + s.slice(i), 'latin1');
  }),
);

describe('SIP parser properties', () => {
  it('round-trips valid messages: parse(serialize(m)) equals m', () => {
    fc.assert(
      fc.property(validMessage, (m) => {
        const parsed = parseMessage(m.toBuffer());
        expect(comparable(parsed)).toEqual(comparable(m));
        expect(parsed.toBuffer().equals(m.toBuffer())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated messages either parse (and then re-serialize stably) or throw SipParseError only', () => {
    fc.assert(
      fc.property(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, muts) => {
        let b = m.toBuffer();
        for (const f of muts) b = f(b);
        const parsed = tryParse(b);
        if (parsed) {
          const again = parseMessage(parsed.toBuffer());
          expect(comparable(again)).toEqual(comparable(parsed));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('the partial message of a SipParseError is a request with the headers read so far', () => {
    fc.assert(
      fc.property(validMessage, mutation, (m, f) => {
        try {
          parseMessage(f(m.toBuffer()));
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
          if (e.partial) {
            expect(e.partial.kind).toBe('request');
            expect(() => e.partial?.toBuffer()).not.toThrow();
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the TCP framer survives any chunking of mutated streams and never throws with an error handler', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(validMessage, fc.option(mutation, { nil: undefined })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        (items, cuts) => {
          const stream = Buffer.concat(items.map(([m, f]) => (f ? f(m.toBuffer()) : m.toBuffer())));
          let fatal = 0;
          const framer = new StreamFramer({ onError: (e, isFatal) => {
            expect(e).toBeInstanceOf(SipParseError);
            if (isFatal) fatal++;
          } });
          const got: SipMessage[] = [];
          let off = 0;
          let i = 0;
          while (off < stream.length) {
            const n = cuts[i++ % cuts.length];
            got.push(...framer.push(stream.subarray(off, off + n)));
            off += n;
          }
          expect(fatal).toBeLessThanOrEqual(1);
          expect(framer.buffered).toBeLessThanOrEqual(stream.length);
          // unmutated streams frame into exactly the messages sent
          if (items.every(([, f]) => !f)) expect(got.map(comparable)).toEqual(items.map(([m]) => comparable(m)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
