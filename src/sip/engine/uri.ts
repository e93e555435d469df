import { randomBytes, randomUUID } from 'node:crypto';
import { SipParseError } from './parse-error.js';

/*
 * Hand-written scanners for SIP URIs, name-addr and Via values: every function is linear in its
 * input (no backtracking regexes), and throws SipParseError on malformed input.
 */

export interface SipUri {
  scheme: string;
  user?: string;
  /** Password of user:password@ (deprecated but legal). */
  password?: string;
  host: string;
  port?: number;
  params: Record<string, string>;
  headers: Record<string, string>;
}

export interface NameAddr {
  display?: string;
  uri: string;
  params: Record<string, string>;
}

export interface Via {
  /** SIP/2.0/<transport>, upper-case: UDP, TCP, TLS, WS... */
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

const TOKEN_CHARS = new Set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~');

// one anchored character class: linear, no backtracking
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Characters that never appear unescaped inside a SIP URI. */
function hasForbiddenUriChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) return true;
  }
  return false;
}

function parsePort(s: string, what: string): number {
  if (s.length === 0 || s.length > 5) throw new SipParseError(`invalid port in ${what}`);
  for (const c of s) if (!isDigit(c)) throw new SipParseError(`invalid port in ${what}`);
  const n = Number(s);
  if (n < 1 || n > 65535) throw new SipParseError(`port out of range in ${what}`);
  return n;
}

/** hostname, IPv4 or [IPv6]. */
export function isValidHost(h: string): boolean {
  if (h.length === 0 || h.length > 255) return false;
  if (h[0] === '[') {
    if (h[h.length - 1] !== ']' || h.length < 4) return false;
    for (let i = 1; i < h.length - 1; i++) {
      const c = h[i];
      if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c === ':' || c === '.')) return false;
    }
    return true;
  }
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    if (!(isAlpha(c) || isDigit(c) || c === '.' || c === '-' || c === '_')) return false;
  }
  return h[0] !== '.' && h[0] !== '-';
}

/** Splits host[:port]; throws on a bad host or port. */
export function parseHostPort(s: string, what: string): { host: string; port?: number } {
  let host: string;
  let portStr: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new SipParseError(`unterminated IPv6 reference in ${what}`);
    host = s.slice(0, end + 1);
    const rest = s.slice(end + 1);
    if (rest.length > 0) {
      if (rest[0] !== ':') throw new SipParseError(`junk after host in ${what}`);
      portStr = rest.slice(1);
    }
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    if (colon >= 0) portStr = s.slice(colon + 1);
  }
  if (!isValidHost(host)) throw new SipParseError(`invalid host in ${what}`);
  return portStr === undefined ? { host } : { host, port: parsePort(portStr, what) };
}

/**
 * Splits `s` at `sep` outside double quotes (with backslash escapes) and, when `angles`, outside <...>.
 * Unterminated quotes or brackets throw.
 */
function splitOutside(s: string, sep: string, angles: boolean, what: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (angles && c === '<') {
      if (inAngle) throw new SipParseError(`nested < in ${what}`);
      inAngle = true;
    } else if (angles && c === '>') {
      if (!inAngle) throw new SipParseError(`unbalanced > in ${what}`);
      inAngle = false;
    } else if (c === sep && !inAngle) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuote) throw new SipParseError(`unterminated quoted string in ${what}`);
  if (inAngle) throw new SipParseError(`unterminated < in ${what}`);
  out.push(s.slice(start));
  return out;
}

/** Splits a comma-separated header value (Via, Contact, Route...) into its entries, trimmed. */
export function splitHeaderList(value: string): string[] {
  try {
    return splitOutside(value, ',', true, 'header list').map((p) => p.trim()).filter((p) => p.length > 0);
  } catch {
    // unbalanced value: the parser rejects these on input, so only app-made values end up here
    return [value.trim()];
  }
}

/** `;a=b;c` -> { a: 'b', c: '' }; names lower-cased, values as written (quotes kept). */
export function parseParams(s: string, what: string): Record<string, string> {
  const params: Record<string, string> = {};
  const t = s.trim();
  if (t.length === 0) return params;
  if (t[0] !== ';') throw new SipParseError(`junk before parameters in ${what}`);
  const parts = splitOutside(t.slice(1), ';', false, what);
  for (const raw of parts) {
    const p = raw.trim();
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (!isToken(name)) throw new SipParseError(`invalid parameter name in ${what}`);
    const value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (eq >= 0 && value.length === 0) throw new SipParseError(`empty parameter value in ${what}`);
    if (value.length > 0 && value[0] !== '"') {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c <= 0x20 || c === 0x7f || c === 0x22) throw new SipParseError(`invalid parameter value in ${what}`);
      }
    }
    params[name] = value;
  }
  return params;
}

export function parseUri(s: string): SipUri {
  const colon = s.indexOf(':');
  if (colon <= 0) throw new SipParseError('URI without scheme');
  const scheme = s.slice(0, colon).toLowerCase();
  if (!isAlpha(scheme[0])) throw new SipParseError('invalid URI scheme');
  for (const c of scheme) if (!(isAlpha(c) || isDigit(c) || c === '+' || c === '-' || c === '.')) throw new SipParseError('invalid URI scheme');
  const rest = s.slice(colon + 1);
  if (rest.length === 0) throw new SipParseError('empty URI');
  if (hasForbiddenUriChar(rest)) throw new SipParseError('invalid character in URI');
  if (scheme !== 'sip' && scheme !== 'sips') {
    // tel:, urn:, ... : kept opaque except for ;params
    const semi = rest.indexOf(';');
    const main = semi < 0 ? rest : rest.slice(0, semi);
    const params = semi < 0 ? {} : parseParams(rest.slice(semi), 'URI');
    return scheme === 'tel' ? { scheme, user: main, host: '', params, headers: {} } : { scheme, host: main, params, headers: {} };
  }
  const q = rest.indexOf('?');
  const beforeHeaders = q < 0 ? rest : rest.slice(0, q);
  const headers: Record<string, string> = {};
  if (q >= 0) {
    for (const h of rest.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new SipParseError('invalid URI header');
      headers[h.slice(0, eq)] = h.slice(eq + 1);
    }
  }
  const at = beforeHeaders.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = beforeHeaders;
  if (at >= 0) {
    const userinfo = beforeHeaders.slice(0, at);
    if (userinfo.length === 0) throw new SipParseError('empty user in URI');
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user.length === 0) throw new SipParseError('empty user in URI');
    hostPart = beforeHeaders.slice(at + 1);
  }
  const semi = hostPart.indexOf(';');
  const hp = parseHostPort(semi < 0 ? hostPart : hostPart.slice(0, semi), 'URI');
  const params = semi < 0 ? {} : parseParams(hostPart.slice(semi), 'URI');
  const uri: SipUri = { scheme, host: hp.host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (hp.port !== undefined) uri.port = hp.port;
  return uri;
}

/** From/To/Contact/Route/Record-Route value: `"Display" <uri>;params`, `<uri>;params`, `uri;params` or `*`. */
export function parseNameAddr(s: string): NameAddr {
  const t = s.trim();
  if (t === '*') return { uri: '*', params: {} };
  let display: string | undefined;
  let i = 0;
  if (t[0] === '"') {
    i = 1;
    while (i < t.length && t[i] !== '"') i += t[i] === '\\' ? 2 : 1;
    if (i >= t.length) throw new SipParseError('unterminated display name');
    display = t.slice(1, i);
    i++;
    while (t[i] === ' ' || t[i] === '\t') i++;
    if (t[i] !== '<') throw new SipParseError('display name without <uri>');
  }
  const lt = t.indexOf('<', i);
  if (lt >= 0) {
    if (display === undefined) {
      const d = t.slice(0, lt).trim();
      if (d.length > 0) {
        for (const word of d.split(/[ \t]+/)) if (!isToken(word)) throw new SipParseError('invalid display name');
        display = d;
      }
    }
    const gt = t.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('unterminated <uri>');
    const uri = t.slice(lt + 1, gt);
    parseUri(uri);
    const out: NameAddr = { uri, params: parseParams(t.slice(gt + 1), 'name-addr') };
    if (display !== undefined) out.display = display;
    return out;
  }
  // addr-spec: parameters after the URI belong to the header, not the URI (RFC 3261 20.10)
  const semi = t.indexOf(';');
  const uri = semi < 0 ? t : t.slice(0, semi);
  parseUri(uri);
  return { uri, params: semi < 0 ? {} : parseParams(t.slice(semi), 'addr-spec') };
}

/** One Via entry: `SIP/2.0/UDP host:port;branch=...;rport`. */
export function parseVia(s: string): Via {
  const t = s.trim();
  const slash1 = t.indexOf('/');
  const slash2 = slash1 < 0 ? -1 : t.indexOf('/', slash1 + 1);
  if (slash2 < 0) throw new SipParseError('invalid Via protocol');
  const name = t.slice(0, slash1).trim();
  const version = t.slice(slash1 + 1, slash2).trim();
  if (name.toUpperCase() !== 'SIP' || version !== '2.0') throw new SipParseError('invalid Via protocol');
  let i = slash2 + 1;
  while (t[i] === ' ' || t[i] === '\t') i++;
  const tStart = i;
  while (i < t.length && TOKEN_CHARS.has(t[i])) i++;
  const transport = t.slice(tStart, i).toUpperCase();
  if (transport.length === 0) throw new SipParseError('missing Via transport');
  if (t[i] !== ' ' && t[i] !== '\t') throw new SipParseError('invalid Via transport');
  while (t[i] === ' ' || t[i] === '\t') i++;
  const semi = t.indexOf(';', i);
  const sentBy = (semi < 0 ? t.slice(i) : t.slice(i, semi)).trim();
  // LWS around ':' is legal in sent-by
  const hp = parseHostPort(sentBy.includes(' ') || sentBy.includes('\t') ? sentBy.replace(/[ \t]+/g, '') : sentBy, 'Via');
  const params = semi < 0 ? {} : parseParams(t.slice(semi), 'Via');
  const via: Via = { transport, host: hp.host, params };
  if (hp.port !== undefined) via.port = hp.port;
  return via;
}

/** A header parameter of a name-addr value without throwing (undefined when absent or unparsable). */
export function headerParam(value: string, name: string): string | undefined {
  try {
    const v = parseNameAddr(value).params[name];
    return v;
  } catch {
    return undefined;
  }
}

/** RFC 3261 branch with the magic cookie. */
export function newBranch(): string {
  return 'z9hG4bK' + randomBytes(10).toString('hex');
}

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newCallId(host: string): string {
  return `${randomUUID()}@${host}`;
}
