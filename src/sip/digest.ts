import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest (RFC 2617 / RFC 7616, MD5, qop=auth) for SIP REGISTER.
 * Nonces are self-validating: `<issuedAtMs>.<random>.<hmac>` so any instance sharing the secret can verify
 * one another's challenges without shared state.
 */

export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export function ha1Of(username: string, realm: string, password: string): string {
  return md5(`${username}:${realm}:${password}`);
}

export interface NonceOptions {
  secret: string;
  realm: string;
  /** How long a nonce is accepted; older ones get a fresh challenge with stale=true. */
  ttlMs: number;
  now?: () => number;
}

export class NonceIssuer {
  constructor(private readonly opts: NonceOptions) {}

  private mac(issued: string, rnd: string): string {
    return createHmac('sha256', this.opts.secret).update(`${issued}.${rnd}.${this.opts.realm}`).digest('base64url').slice(0, 32);
  }

  issue(): string {
    const issued = String((this.opts.now ?? Date.now)());
    const rnd = randomBytes(9).toString('base64url');
    return `${issued}.${rnd}.${this.mac(issued, rnd)}`;
  }

  /** 'ok', 'stale' (genuine but expired) or 'invalid' (forged or malformed). */
  check(nonce: string): 'ok' | 'stale' | 'invalid' {
    const parts = nonce.split('.');
    if (parts.length !== 3) return 'invalid';
    const [issued, rnd, mac] = parts;
    if (!/^\d{1,16}$/.test(issued)) return 'invalid';
    if (!safeEqual(mac, this.mac(issued, rnd))) return 'invalid';
    const age = (this.opts.now ?? Date.now)() - Number(issued);
    if (age < -5_000) return 'invalid'; // from the future: clock skew beyond tolerance or forged
    return age > this.opts.ttlMs ? 'stale' : 'ok';
  }
}

export function challengeHeader(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
}

/** Parses `Digest k=v, k="v"` into lower-cased keys; null when it is not a Digest credential. */
export function parseAuthorization(header: string | undefined): Record<string, string> | null {
  if (!header) return null;
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[1])) !== null) {
    out[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return out;
}

export interface DigestCheck {
  method: string;
  ha1: string;
  params: Record<string, string>;
}

/** Verifies the response value for qop=auth (and the legacy no-qop form, which we never ask for but RFC 2617 permits). */
export function digestResponseValid({ method, ha1, params }: DigestCheck): boolean {
  const { nonce, uri, response, qop, nc, cnonce } = params;
  if (!nonce || !uri || !response) return false;
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5') return false;
  const ha2 = md5(`${method}:${uri}`);
  let expected: string;
  if (qop === undefined) expected = md5(`${ha1}:${nonce}:${ha2}`);
  else if (qop.toLowerCase() === 'auth' && nc && cnonce) expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  else return false;
  return safeEqual(response.toLowerCase(), expected);
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
