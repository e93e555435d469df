import { SipMessage } from './message.js';
import { newCallId, newTag, parseNameAddr } from './uri.js';

/**
 * drachtio-srf sends partial SIP messages (start line, the headers the app set, maybe a body; header
 * names often lower-case; Content-Length counted in UTF-16 units). The engine fills in the rest.
 */

export class PartialMessageError extends Error {}

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  rack: 'RAck',
  rseq: 'RSeq',
  'mime-version': 'MIME-Version',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};
const COMPACT: Record<string, string> = {
  i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type',
  k: 'supported', s: 'subject', e: 'content-encoding',
};

/** `content-type` -> `Content-Type`; names the app wrote in mixed case (X-Foo) are kept. */
export function canonicalHeaderName(name: string): string {
  if (name !== name.toLowerCase()) return name;
  const full = COMPACT[name] ?? name;
  return CANONICAL[full] ?? full.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** Lenient parse of an app's partial message; Content-Length is dropped (recomputed on send). */
export function parsePartial(text: string): SipMessage {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const lines = head.split(/\r\n/);
  const start = (lines.shift() ?? '').trim();
  let msg: SipMessage;
  const resp = /^SIP\/2\.0\s+(\d{3})(?:\s+(.*))?$/i.exec(start);
  if (resp) {
    const status = Number(resp[1]);
    if (status < 100 || status > 699) throw new PartialMessageError(`invalid status ${status}`);
    msg = SipMessage.response(status, resp[2]?.trim() || undefined);
  } else {
    const req = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(start);
    if (!req) throw new PartialMessageError('invalid start line');
    msg = SipMessage.request(req[1].toUpperCase(), req[2]);
  }
  let name = '';
  let value = '';
  const flush = () => {
    if (!name) return;
    const canon = canonicalHeaderName(name);
    if (canon.toLowerCase() !== 'content-length') msg.add(canon, value.trim());
    name = '';
  };
  for (const line of lines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && name) {
      value += ' ' + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PartialMessageError(`invalid header line: ${line.slice(0, 60)}`);
    name = line.slice(0, colon).trim();
    value = line.slice(colon + 1);
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(name)) throw new PartialMessageError(`invalid header name: ${name.slice(0, 60)}`);
  }
  flush();
  msg.body = Buffer.from(body, 'utf8');
  return msg;
}

/** Replaces a `localhost` host inside SIP URIs with the engine's real host:port. */
export function replaceLocalhost(value: string, hostport: string): string {
  return value.replace(/(sips?:(?:[^@;>\s]*@)?)localhost(?::\d+)?/gi, `$1${hostport}`);
}

function hasTag(nameAddr: string): boolean {
  try {
    return parseNameAddr(nameAddr).params.tag !== undefined;
  } catch {
    return /;\s*tag=/i.test(nameAddr);
  }
}

/** `sip:1000@host` -> `<sip:1000@host>` so header params (tag) cannot be mistaken for URI params. */
function bracketed(nameAddr: string): string {
  const v = nameAddr.trim();
  if (v.includes('<')) return v;
  // without brackets, anything after ';' is a header parameter already
  const semi = v.indexOf(';');
  return semi < 0 ? `<${v}>` : `<${v.slice(0, semi)}>${v.slice(semi)}`;
}

export function withTag(nameAddr: string, tag: string): string {
  return hasTag(nameAddr) ? nameAddr : `${bracketed(nameAddr)};tag=${tag}`;
}

export function uriOf(nameAddr: string): string {
  try {
    return parseNameAddr(nameAddr).uri;
  } catch {
    const m = /<([^>]*)>/.exec(nameAddr);
    return (m ? m[1] : nameAddr.split(';')[0]).trim();
  }
}

/** Methods whose requests and 2xx/1xx responses carry a Contact (they create or refresh a target). */
export const CONTACT_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'UPDATE', 'REGISTER']);

export interface LocalIdentity {
  /** host:port of the engine's SIP listener for the transport in use. */
  hostport: string;
  /** Contact URI for that transport, e.g. `sip:127.0.0.1:5060;transport=tcp`. */
  contactUri: string;
}

/** Contact for a message: the app's (with localhost replaced) or the engine's, keeping the user part of From. */
function contactValue(msg: SipMessage, local: LocalIdentity, userFrom?: string): string {
  const given = msg.get('Contact');
  if (given) return replaceLocalhost(given, local.hostport);
  let user = '';
  if (userFrom) {
    const m = /sips?:([^@;>]+)@/i.exec(userFrom);
    if (m) user = `${m[1]}@`;
  }
  return `<${local.contactUri.replace(/^sip:/, `sip:${user}`)}>`;
}

function fillBodyType(msg: SipMessage): void {
  if (msg.body.length > 0 && !msg.has('Content-Type')) msg.set('Content-Type', 'application/sdp');
}

/** Completes a new out-of-dialog request from an app. */
export function completeNewRequest(msg: SipMessage, local: LocalIdentity, callIdHost: string): SipMessage {
  if (!msg.has('Max-Forwards')) msg.set('Max-Forwards', '70');
  const from = msg.get('From');
  const fromValue = from ? replaceLocalhost(from, local.hostport) : `<sip:${local.hostport}>`;
  msg.set('From', withTag(fromValue, newTag()));
  const to = msg.get('To');
  msg.set('To', to ? replaceLocalhost(to, local.hostport) : `<${msg.uri}>`);
  if (!msg.has('Call-ID')) msg.set('Call-ID', newCallId(callIdHost));
  const cseq = msg.get('CSeq');
  if (!cseq || !/^\s*\d+\s+[A-Za-z]+/.test(cseq)) msg.set('CSeq', `${1 + Math.floor(Math.random() * 1000)} ${msg.method}`);
  if (CONTACT_METHODS.has(msg.method) || msg.has('Contact')) msg.set('Contact', contactValue(msg, local, fromValue));
  fillBodyType(msg);
  msg.remove('Via');
  return msg;
}

export interface ResponseContext {
  request: SipMessage;
  /** To-tag of this server transaction (same for every response to it). */
  localTag: string;
  local: LocalIdentity;
}

/** Completes an app's response to a network request. */
export function completeResponse(msg: SipMessage, ctx: ResponseContext): SipMessage {
  const req = ctx.request;
  // the dialog-defining headers always come from the request: the app cannot change them
  msg.remove('Via');
  for (const v of req.getAll('Via')) msg.add('Via', v);
  msg.set('From', req.get('From') ?? '');
  msg.set('Call-ID', req.callId);
  msg.set('CSeq', req.get('CSeq') ?? '');
  const reqTo = req.get('To') ?? '';
  const appTo = msg.get('To');
  if (hasTag(reqTo)) msg.set('To', reqTo);
  else if (msg.status > 100) {
    // srf lets the app choose the tag via its own To header
    const appTag = appTo ? safeTag(appTo) : undefined;
    msg.set('To', withTag(reqTo, appTag ?? ctx.localTag));
  } else msg.set('To', reqTo);
  const method = req.method;
  if (CONTACT_METHODS.has(method) && method !== 'REGISTER' && msg.status > 100 && msg.status < 300) {
    msg.set('Contact', contactValue(msg, ctx.local));
    if (req.has('Record-Route') && !msg.has('Record-Route')) for (const rr of req.getAll('Record-Route')) msg.add('Record-Route', rr);
  } else if (msg.has('Contact')) {
    msg.set('Contact', replaceLocalhost(msg.get('Contact') ?? '', ctx.local.hostport));
  }
  fillBodyType(msg);
  // conventional order: Via, From, To, Call-ID, CSeq first, then the rest as the app wrote them
  const first = ['via', 'from', 'to', 'call-id', 'cseq'];
  const rank = (n: string) => {
    const i = first.indexOf(n.toLowerCase());
    return i < 0 ? first.length : i;
  };
  msg.headers = msg.headers.map((h, i) => ({ h, i })).sort((a, b) => rank(a.h.name) - rank(b.h.name) || a.i - b.i).map((x) => x.h);
  return msg;
}

function safeTag(nameAddr: string): string | undefined {
  try {
    return parseNameAddr(nameAddr).params.tag || undefined;
  } catch {
    return undefined;
  }
}
