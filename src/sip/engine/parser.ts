import { SipMessage, normalizeHeaderName } from './message.js';
import { SipParseError } from './parse-error.js';
import { isToken, parseNameAddr, parseUri, parseVia, splitHeaderList } from './uri.js';

export { SipParseError };

/** Bounds that keep one hostile peer from costing more than a fixed amount of memory or CPU. */
export const PARSER_LIMITS = {
  /** Start line + headers. */
  maxHeadBytes: 32 * 1024,
  maxHeaders: 200,
  /** Bodies over TCP (UDP is bounded by the datagram). */
  maxBodyBytes: 512 * 1024,
};

/** Headers that may appear once only; a second copy is a malformed message. */
const SINGLETONS = new Set(['call-id', 'cseq', 'from', 'to', 'content-length', 'max-forwards']);
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'];

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses one complete SIP message (a UDP datagram or a message framed by StreamFramer).
 * Strict RFC 3261 syntax for the start line and the headers the stack relies on; throws SipParseError.
 * With `framed`, Content-Length must match the body exactly (TCP); otherwise extra bytes are
 * dropped (RFC 3261 18.3) and a missing Content-Length means "rest of the datagram".
 */
export function parseMessage(buf: Buffer, opts: { framed?: boolean } = {}): SipMessage {
  const headEnd = buf.indexOf(CRLFCRLF);
  if (headEnd < 0) throw new SipParseError(buf.length > PARSER_LIMITS.maxHeadBytes ? 'header section too large' : 'no end of headers');
  if (headEnd > PARSER_LIMITS.maxHeadBytes) throw new SipParseError('header section too large');
  const head = buf.toString('utf8', 0, headEnd);
  const lines = head.split('\r\n');
  const msg = parseStartLine(lines[0]);
  const partial = msg.kind === 'request' ? msg : undefined;
  try {
    parseHeaderLines(lines, msg);
    validate(msg);
    msg.body = body(buf, headEnd + 4, msg, opts.framed === true);
  } catch (e) {
    if (e instanceof SipParseError) {
      e.partial ??= partial;
      throw e;
    }
    throw new SipParseError(`parser bug: ${(e as Error).message}`, partial);
  }
  return msg;
}

function parseStartLine(line: string): SipMessage {
  if (line.length === 0) throw new SipParseError('empty start line');
  if (line.startsWith('SIP/')) {
    // SIP/2.0 SP Status-Code SP Reason-Phrase
    if (!line.startsWith('SIP/2.0 ')) throw new SipParseError('unsupported SIP version');
    const code = line.slice(8, 11);
    if (code.length !== 3 || !/^[1-6][0-9][0-9]$/.test(code)) throw new SipParseError('invalid status code');
    if (line.length > 11 && line[11] !== ' ') throw new SipParseError('invalid status line');
    const reason = line.slice(12);
    if (hasCtl(reason)) throw new SipParseError('control character in reason phrase');
    return SipMessage.response(Number(code), reason);
  }
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) throw new SipParseError('invalid request line');
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) throw new SipParseError('invalid method');
  if (version !== 'SIP/2.0') throw new SipParseError('unsupported SIP version');
  parseUri(uri);
  return SipMessage.request(method, uri);
}

// a single character class: linear, no backtracking
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

function hasCtl(s: string): boolean {
  return CTL.test(s);
}

function parseHeaderLines(lines: string[], msg: SipMessage): void {
  let name = '';
  let value = '';
  const flush = () => {
    if (name) msg.headers.push({ name, value: value.trim() });
    name = '';
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (hasCtl(line)) throw new SipParseError(`control character in header line ${i}`);
    if (line[0] === ' ' || line[0] === '\t') {
      // obsolete line folding: continuation of the previous header
      if (!name) throw new SipParseError('continuation line without header');
      value += ' ' + line.trim();
      continue;
    }
    flush();
    if (msg.headers.length >= PARSER_LIMITS.maxHeaders) throw new SipParseError('too many headers');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('header line without name');
    // HCOLON allows whitespace before the colon
    const n = line.slice(0, colon).trimEnd();
    if (!isToken(n)) throw new SipParseError('invalid header name');
    name = n;
    value = line.slice(colon + 1);
  }
  flush();
}

function validate(msg: SipMessage): void {
  const seen = new Set<string>();
  for (const h of msg.headers) {
    const n = normalizeHeaderName(h.name);
    if (SINGLETONS.has(n)) {
      if (seen.has(n)) throw new SipParseError(`duplicate ${n}`);
      seen.add(n);
    }
    if (n === 'via') {
      const vias = splitHeaderList(h.value);
      if (vias.length === 0) throw new SipParseError('empty Via');
      for (const v of vias) parseVia(v);
    } else if (n === 'from' || n === 'to') {
      const na = parseNameAddr(h.value);
      if (na.uri === '*') throw new SipParseError(`invalid ${n}`);
    } else if (n === 'contact' && h.value.trim() !== '*') {
      for (const c of splitHeaderList(h.value)) parseNameAddr(c);
    } else if (n === 'call-id') {
      if (h.value.length === 0 || /\s/.test(h.value)) throw new SipParseError('invalid Call-ID');
    } else if (n === 'max-forwards') {
      if (!/^[0-9]{1,3}$/.test(h.value) || Number(h.value) > 255) throw new SipParseError('invalid Max-Forwards');
    } else if (n === 'content-length') {
      if (!/^[0-9]{1,9}$/.test(h.value)) throw new SipParseError('invalid Content-Length');
    } else if (n === 'cseq') {
      validateCSeq(h.value, msg);
    }
  }
  for (const r of REQUIRED) if (!msg.has(r)) throw new SipParseError(`missing ${r}`);
}

function validateCSeq(v: string, msg: SipMessage): void {
  const sp = v.search(/[ \t]/);
  if (sp <= 0) throw new SipParseError('invalid CSeq');
  const num = v.slice(0, sp);
  const method = v.slice(sp).trim();
  if (!/^[0-9]{1,10}$/.test(num) || Number(num) > 0x7fffffff) throw new SipParseError('invalid CSeq number');
  if (!isToken(method)) throw new SipParseError('invalid CSeq method');
  if (msg.kind === 'request' && method !== msg.method) throw new SipParseError('CSeq method does not match request method');
}

function body(buf: Buffer, start: number, msg: SipMessage, framed: boolean): Buffer {
  const available = buf.length - start;
  const cl = msg.get('Content-Length');
  if (cl === undefined) {
    if (framed) throw new SipParseError('missing Content-Length on a stream transport');
    return available ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
  }
  const len = Number(cl);
  if (len > available) throw new SipParseError('body shorter than Content-Length');
  if (framed && len !== available) throw new SipParseError('Content-Length does not match framed body');
  return len ? Buffer.from(buf.subarray(start, start + len)) : Buffer.alloc(0);
}

/** Reads Content-Length from a raw header section without parsing the rest (stream framing). */
function contentLengthOf(head: string): number | undefined {
  let found: number | undefined;
  let i = 0;
  while (i < head.length) {
    const nl = head.indexOf('\r\n', i);
    const line = nl < 0 ? head.slice(i) : head.slice(i, nl);
    i = nl < 0 ? head.length : nl + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const n = normalizeHeaderName(line.slice(0, colon).trim());
    if (n !== 'content-length') continue;
    const v = line.slice(colon + 1).trim();
    if (!/^[0-9]{1,9}$/.test(v)) throw new SipParseError('invalid Content-Length');
    if (found !== undefined) throw new SipParseError('duplicate content-length');
    found = Number(v);
  }
  return found;
}

export interface StreamFramerOptions {
  /**
   * Called for a well-framed message that does not parse (the stream stays usable). When given,
   * unrecoverable framing errors are passed here too (with `fatal`) instead of being thrown.
   */
  onError?: (err: SipParseError, fatal: boolean) => void;
}

/**
 * TCP framing (RFC 3261 18.3): header section up to CRLFCRLF, then exactly Content-Length bytes.
 * CRLF keep-alives between messages (RFC 5626) are skipped. Memory is bounded by PARSER_LIMITS.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Set after a framing error: the stream cannot be resynchronised and must be closed. */
  broken = false;

  constructor(private readonly opts: StreamFramerOptions = {}) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): SipMessage[] {
    const out: SipMessage[] = [];
    if (this.broken) return out;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
      if (skip) this.buf = this.buf.subarray(skip);
      if (this.buf.length === 0) break;
      const headEnd = this.buf.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.buf.length > PARSER_LIMITS.maxHeadBytes) return this.fail(new SipParseError('header section too large'), out);
        break;
      }
      if (headEnd > PARSER_LIMITS.maxHeadBytes) return this.fail(new SipParseError('header section too large'), out);
      let len: number | undefined;
      try {
        len = contentLengthOf(this.buf.toString('latin1', 0, headEnd));
      } catch (e) {
        return this.fail(e as SipParseError, out);
      }
      if (len === undefined) return this.fail(new SipParseError('missing Content-Length on a stream transport', this.partialOf(headEnd)), out);
      if (len > PARSER_LIMITS.maxBodyBytes) return this.fail(new SipParseError('body too large'), out);
      const total = headEnd + 4 + len;
      if (this.buf.length < total) break;
      const one = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      try {
        out.push(parseMessage(one, { framed: true }));
      } catch (e) {
        const err = e instanceof SipParseError ? e : new SipParseError(String(e));
        if (!this.opts.onError) {
          this.buf = Buffer.from(this.buf);
          throw err;
        }
        this.opts.onError(err, false);
      }
    }
    // keep only what is still needed, not the whole chunk it was sliced from
    if (this.buf.length && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
    return out;
  }

  /** The request in the header section, so the stack can still answer 400 before closing. */
  private partialOf(headEnd: number): SipMessage | undefined {
    try {
      const m = parseMessage(this.buf.subarray(0, headEnd + 4));
      return m.kind === 'request' ? m : undefined;
    } catch (e) {
      return e instanceof SipParseError ? e.partial : undefined;
    }
  }

  private fail(err: SipParseError, out: SipMessage[]): SipMessage[] {
    this.broken = true;
    this.buf = Buffer.alloc(0);
    if (!this.opts.onError) throw err;
    this.opts.onError(err, true);
    return out;
  }
}
