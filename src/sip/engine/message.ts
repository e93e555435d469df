import { splitHeaderList, headerParam } from './uri.js';

export type Transport = 'udp' | 'tcp';

export interface Endpoint {
  transport: Transport;
  address: string;
  port: number;
}

export interface Header {
  name: string;
  value: string;
}

/** RFC 3261 7.3.3 compact forms (plus the common extension ones) -> lower-case full names. */
export const COMPACT_HEADERS: Readonly<Record<string, string>> = {
  i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type',
  k: 'supported', s: 'subject', e: 'content-encoding', o: 'event', r: 'refer-to', b: 'referred-by',
  u: 'allow-events', x: 'session-expires',
};

/** Headers whose comma-separated values are separate entries (RFC 3261 7.3.1) and safe to split. */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact']);

/** Lower-case full name used for comparisons ('i' -> 'call-id', 'Via' -> 'via'). */
export function normalizeHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_HEADERS[lower] ?? lower) : lower;
}

export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Server Time-out',
  505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere', 603: 'Decline',
  604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/**
 * A SIP request or response. Headers are kept in wire order with their names as received so a
 * message can be forwarded or logged faithfully; lookups are case-insensitive and compact-form aware.
 */
export class SipMessage {
  kind: 'request' | 'response';
  method = '';
  uri = '';
  status = 0;
  reason = '';
  headers: Header[] = [];
  body: Buffer = Buffer.alloc(0);

  constructor(kind: 'request' | 'response') {
    this.kind = kind;
  }

  static request(method: string, uri: string): SipMessage {
    const m = new SipMessage('request');
    m.method = method;
    m.uri = uri;
    return m;
  }

  static response(status: number, reason?: string): SipMessage {
    const m = new SipMessage('response');
    m.status = status;
    m.reason = reason ?? REASON_PHRASES[status] ?? '';
    return m;
  }

  get isRequest(): boolean {
    return this.kind === 'request';
  }

  /** First value of a header; for list headers (Via, Route, Record-Route, Contact) the first list entry. */
  get(name: string): string | undefined {
    const n = normalizeHeaderName(name);
    for (const h of this.headers) {
      if (normalizeHeaderName(h.name) !== n) continue;
      if (LIST_HEADERS.has(n) && h.value.includes(',')) return splitHeaderList(h.value)[0];
      return h.value;
    }
    return undefined;
  }

  /** Every value, list headers split into their entries. */
  getAll(name: string): string[] {
    const n = normalizeHeaderName(name);
    const split = LIST_HEADERS.has(n);
    const out: string[] = [];
    for (const h of this.headers) {
      if (normalizeHeaderName(h.name) !== n) continue;
      if (split && h.value.includes(',')) out.push(...splitHeaderList(h.value));
      else out.push(h.value);
    }
    return out;
  }

  has(name: string): boolean {
    const n = normalizeHeaderName(name);
    return this.headers.some((h) => normalizeHeaderName(h.name) === n);
  }

  /** Replaces all headers of that name with one, at the position of the first (appended when absent). */
  set(name: string, value: string): void {
    const n = normalizeHeaderName(name);
    const i = this.headers.findIndex((h) => normalizeHeaderName(h.name) === n);
    if (i < 0) {
      this.headers.push({ name, value });
      return;
    }
    this.headers[i] = { name, value };
    this.headers = this.headers.filter((h, j) => j <= i || normalizeHeaderName(h.name) !== n);
  }

  add(name: string, value: string): void {
    this.headers.push({ name, value });
  }

  /** Puts the header before every other header (top Via, top Route). */
  prepend(name: string, value: string): void {
    this.headers.unshift({ name, value });
  }

  remove(name: string): void {
    const n = normalizeHeaderName(name);
    this.headers = this.headers.filter((h) => normalizeHeaderName(h.name) !== n);
  }

  /** Removes the first entry of a list header (the top Via when a proxy forwards a response). */
  removeFirst(name: string): void {
    const n = normalizeHeaderName(name);
    const i = this.headers.findIndex((h) => normalizeHeaderName(h.name) === n);
    if (i < 0) return;
    const h = this.headers[i];
    const parts = LIST_HEADERS.has(n) && h.value.includes(',') ? splitHeaderList(h.value) : [h.value];
    if (parts.length > 1) this.headers[i] = { name: h.name, value: parts.slice(1).join(', ') };
    else this.headers.splice(i, 1);
  }

  get callId(): string {
    return this.get('Call-ID') ?? '';
  }

  /** CSeq number and method; { seq: 0, method: '' } when absent or malformed. */
  get cseq(): { seq: number; method: string } {
    const v = this.get('CSeq');
    if (!v) return { seq: 0, method: '' };
    const t = v.trim();
    const sp = t.search(/\s/);
    if (sp < 0) return { seq: Number(t) || 0, method: '' };
    return { seq: Number(t.slice(0, sp)) || 0, method: t.slice(sp).trim() };
  }

  get fromTag(): string | undefined {
    const v = this.get('From');
    return v === undefined ? undefined : headerParam(v, 'tag');
  }

  get toTag(): string | undefined {
    const v = this.get('To');
    return v === undefined ? undefined : headerParam(v, 'tag');
  }

  /** Wire form; Content-Length is always (re)computed from the body. */
  toBuffer(): Buffer {
    const head = this.headText();
    return this.body.length ? Buffer.concat([Buffer.from(head, 'utf8'), this.body]) : Buffer.from(head, 'utf8');
  }

  toString(): string {
    return this.headText() + this.body.toString('utf8');
  }

  clone(): SipMessage {
    const m = new SipMessage(this.kind);
    m.method = this.method;
    m.uri = this.uri;
    m.status = this.status;
    m.reason = this.reason;
    m.headers = this.headers.map((h) => ({ name: h.name, value: h.value }));
    m.body = this.body;
    return m;
  }

  private headText(): string {
    let s = this.kind === 'request' ? `${this.method} ${this.uri} SIP/2.0\r\n` : `SIP/2.0 ${this.status} ${this.reason}\r\n`;
    let sawLength = false;
    for (const h of this.headers) {
      if (normalizeHeaderName(h.name) === 'content-length') {
        if (sawLength) continue;
        sawLength = true;
        s += `${h.name}: ${this.body.length}\r\n`;
      } else s += `${h.name}: ${h.value}\r\n`;
    }
    if (!sawLength) s += `Content-Length: ${this.body.length}\r\n`;
    return s + '\r\n';
  }
}

/**
 * A response to `req` with Via, From, To, Call-ID and CSeq copied (RFC 3261 8.2.6.2); `toTag` is
 * added to To when it has none (never for 100 Trying).
 */
export function responseTo(req: SipMessage, status: number, reason?: string, toTag?: string): SipMessage {
  const res = SipMessage.response(status, reason);
  copyDialogHeaders(req, res, toTag);
  if (status === 100) {
    const ts = req.get('Timestamp');
    if (ts) res.add('Timestamp', ts);
  }
  return res;
}

/** Fills Via/From/To/Call-ID/CSeq that `res` lacks from `req`. */
export function copyDialogHeaders(req: SipMessage, res: SipMessage, toTag?: string): void {
  if (!res.has('Via')) for (const v of req.getAll('Via')) res.add('Via', v);
  for (const name of ['From', 'To', 'Call-ID', 'CSeq']) {
    if (res.has(name)) continue;
    const v = req.get(name);
    if (v !== undefined) res.add(name, v);
  }
  if (toTag && res.status > 100 && !res.toTag) {
    const to = res.get('To');
    if (to !== undefined) res.set('To', `${to};tag=${toTag}`);
  }
}
