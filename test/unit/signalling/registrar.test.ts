import { describe, expect, it, beforeEach } from 'vitest';
import { pino } from 'pino';
import { challengeHeader, digestResponseValid, ha1Of, md5, NonceIssuer, parseAuthorization } from '../../../src/sip/digest.js';
import { Registrar, type RegisterRequest } from '../../../src/sip/registrar.js';
import type { AgentCredential } from '../../../src/sip/ports.js';
import { parseNameAddr, splitHeaderList, uriUser } from '../../../src/sip/sip-headers.js';

const REALM = 'cti.test';
const log = pino({ level: 'silent' });

interface Sent { status: number; reason: string; headers: Record<string, string> }

function fakeReq(headers: Record<string, string>, source = '127.0.0.1'): RegisterRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'REGISTER',
    uri: `sip:${REALM}`,
    source_address: source,
    get: (n) => lower[n.toLowerCase()],
    has: (n) => n.toLowerCase() in lower,
  };
}

/** What a softphone computes from a 401 challenge (RFC 2617 qop=auth). */
function authorize(challenge: string, user: string, password: string, opts: { uri?: string; realm?: string } = {}): string {
  const c = parseAuthorization(challenge)!;
  const uri = opts.uri ?? `sip:${REALM}`;
  const realm = opts.realm ?? c.realm;
  const cnonce = 'abcdef';
  const nc = '00000001';
  const response = md5(`${ha1Of(user, realm, password)}:${c.nonce}:${nc}:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`);
  return `Digest username="${user}", realm="${realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

describe('digest primitives', () => {
  it('verifies the RFC 2617 section 3.5 example', () => {
    // The RFC's worked example (HTTP GET): Mufasa / Circle Of Life
    const params = parseAuthorization(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    expect(params.username).toBe('Mufasa');
    const ha1 = ha1Of('Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(digestResponseValid({ method: 'GET', ha1, params })).toBe(true);
    expect(digestResponseValid({ method: 'GET', ha1: ha1Of('Mufasa', 'testrealm@host.com', 'wrong'), params })).toBe(false);
    expect(digestResponseValid({ method: 'POST', ha1, params })).toBe(false);
  });

  it('nonces validate across instances with the same secret, expire, and reject forgeries', () => {
    let now = 1_000_000;
    const a = new NonceIssuer({ secret: 's3cret', realm: REALM, ttlMs: 1000, now: () => now });
    const b = new NonceIssuer({ secret: 's3cret', realm: REALM, ttlMs: 1000, now: () => now });
    const other = new NonceIssuer({ secret: 'different', realm: REALM, ttlMs: 1000, now: () => now });
    const n = a.issue();
    expect(b.check(n)).toBe('ok');
    expect(other.check(n)).toBe('invalid');
    const [ts, rnd, mac] = n.split('.');
    expect(b.check(`${Number(ts) + 1}.${rnd}.${mac}`)).toBe('invalid');
    expect(b.check('garbage')).toBe('invalid');
    now += 1500;
    expect(b.check(n)).toBe('stale');
  });

  it('builds a challenge a client can parse', () => {
    const p = parseAuthorization(challengeHeader(REALM, 'N1', true))!;
    expect(p).toMatchObject({ realm: REALM, nonce: 'N1', qop: 'auth', algorithm: 'MD5', stale: 'true' });
  });
});

describe('header helpers', () => {
  it('splits contact lists only on top-level commas', () => {
    expect(splitHeaderList('"Doe, John" <sip:a@h;x=1,2>;expires=5, sip:b@h')).toEqual(['"Doe, John" <sip:a@h;x=1,2>;expires=5', 'sip:b@h']);
    expect(splitHeaderList('*')).toEqual(['*']);
  });
  it('parses name-addr and addr-spec with header params', () => {
    expect(parseNameAddr('"A" <sip:a@127.0.0.1:5090;transport=tcp>;expires=60;+sip.instance="<urn:x>"')).toEqual({
      uri: 'sip:a@127.0.0.1:5090;transport=tcp',
      params: { expires: '60', '+sip.instance': '<urn:x>' },
    });
    expect(parseNameAddr('sip:a@h;expires=0')).toEqual({ uri: 'sip:a@h', params: { expires: '0' } });
  });
  it('extracts the user part', () => {
    expect(uriUser('sip:agent1@h')).toBe('agent1');
    expect(uriUser('sips:%2B4420@h;user=phone')).toBe('+4420');
    expect(uriUser('sip:h:5060')).toBe('');
    expect(uriUser('tel:+4420')).toBe('+4420');
  });
});

describe('Registrar', () => {
  let creds: Record<string, AgentCredential>;
  let bindings: { agentId: string; contact: string; expires: number }[];
  let cleared: string[];
  let registrar: Registrar;
  let now: number;

  const send = async (req: RegisterRequest): Promise<Sent> => {
    let sent: Sent | undefined;
    await registrar.handle(req, { send: (status, reason, opts) => (sent = { status, reason, headers: opts.headers ?? {} }) });
    if (!sent) throw new Error('no response sent');
    return sent;
  };
  const base = (user: string, extra: Record<string, string> = {}) => ({
    'Call-ID': 'reg-1',
    To: `<sip:${user}@${REALM}>`,
    From: `<sip:${user}@${REALM}>;tag=1`,
    Contact: `<sip:${user}@127.0.0.1:5090;transport=udp>`,
    ...extra,
  });
  const register = async (user: string, password: string, extra: Record<string, string> = {}, source?: string) => {
    const first = await send(fakeReq(base(user, extra), source));
    if (first.status !== 401) return first;
    return send(fakeReq({ ...base(user, extra), Authorization: authorize(first.headers['WWW-Authenticate'], user, password) }, source));
  };

  beforeEach(() => {
    now = 10_000_000;
    creds = {
      agent1: { agentId: 'A-1', password: 'pw-one' },
      agent2: { agentId: 'A-2', ha1: ha1Of('agent2', REALM, 'pw-two') },
    };
    bindings = [];
    cleared = [];
    registrar = new Registrar({
      realm: REALM,
      nonceSecret: 'nonce-secret',
      credentials: { lookup: async (u) => creds[u] ?? null },
      sink: {
        setRegistration: async (agentId, contact, expires) => void bindings.push({ agentId, contact, expires }),
        clearRegistrations: async (agentId) => void cleared.push(agentId),
      },
      log,
      minExpiresSec: 60,
      maxExpiresSec: 3600,
      maxAuthFailures: 3,
      failureWindowMs: 60_000,
      nonceTtlMs: 30_000,
      now: () => now,
    });
  });

  it('challenges, then accepts a correct digest and stores the contact with its expiry', async () => {
    const first = await send(fakeReq(base('agent1', { Expires: '300' })));
    expect(first.status).toBe(401);
    expect(first.headers['WWW-Authenticate']).toMatch(/^Digest realm="cti.test", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    expect(bindings).toEqual([]);
    const ok = await send(fakeReq({ ...base('agent1', { Expires: '300' }), Authorization: authorize(first.headers['WWW-Authenticate'], 'agent1', 'pw-one') }));
    expect(ok.status).toBe(200);
    expect(ok.headers.Contact).toBe('<sip:agent1@127.0.0.1:5090;transport=udp>;expires=300');
    expect(bindings).toEqual([{ agentId: 'A-1', contact: 'sip:agent1@127.0.0.1:5090;transport=udp', expires: 300 }]);
  });

  it('accepts stored HA1 instead of a password', async () => {
    expect((await register('agent2', 'pw-two')).status).toBe(200);
    expect(bindings[0]).toMatchObject({ agentId: 'A-2', expires: 3600 });
  });

  it('rejects a wrong password and an unknown user with 403 and stores nothing', async () => {
    expect((await register('agent1', 'nope')).status).toBe(403);
    expect((await register('ghost', 'whatever')).status).toBe(403);
    expect(bindings).toEqual([]);
  });

  it('refuses credentials of one user used for another AOR', async () => {
    const first = await send(fakeReq(base('agent2')));
    const res = await send(fakeReq({ ...base('agent2'), Authorization: authorize(first.headers['WWW-Authenticate'], 'agent1', 'pw-one') }));
    expect(res.status).toBe(403);
    expect(bindings).toEqual([]);
  });

  it('handles contact expires param, Expires: 0 unregister and caps long expiries', async () => {
    expect((await register('agent1', 'pw-one', { Contact: '<sip:agent1@127.0.0.1:5090>;expires=120' })).status).toBe(200);
    expect((await register('agent1', 'pw-one', { Expires: '0' })).status).toBe(200);
    expect((await register('agent1', 'pw-one', { Expires: '99999' })).status).toBe(200);
    expect(bindings.map((b) => b.expires)).toEqual([120, 0, 3600]);
  });

  it('answers 423 with Min-Expires for a too-brief interval', async () => {
    const res = await register('agent1', 'pw-one', { Expires: '10' });
    expect(res.status).toBe(423);
    expect(res.headers['Min-Expires']).toBe('60');
    expect(bindings).toEqual([]);
  });

  it('wildcard removes every binding only with Expires: 0', async () => {
    expect((await register('agent1', 'pw-one', { Contact: '*', Expires: '0' })).status).toBe(200);
    expect(cleared).toEqual(['A-1']);
    expect((await register('agent1', 'pw-one', { Contact: '*', Expires: '60' })).status).toBe(400);
    expect((await register('agent1', 'pw-one', { Contact: '*' })).status).toBe(400);
    expect(cleared).toEqual(['A-1']);
  });

  it('registers several contacts from one request', async () => {
    const res = await register('agent1', 'pw-one', { Contact: '<sip:agent1@127.0.0.1:5090>;expires=100, "Desk, 2" <sip:agent1@127.0.0.1:5092>', Expires: '200' });
    expect(res.status).toBe(200);
    expect(bindings.map((b) => [b.contact, b.expires])).toEqual([
      ['sip:agent1@127.0.0.1:5090', 100],
      ['sip:agent1@127.0.0.1:5092', 200],
    ]);
  });

  it('re-challenges with stale=true when the nonce expired, and the fresh nonce works', async () => {
    const first = await send(fakeReq(base('agent1')));
    now += 31_000;
    const stale = await send(fakeReq({ ...base('agent1'), Authorization: authorize(first.headers['WWW-Authenticate'], 'agent1', 'pw-one') }));
    expect(stale.status).toBe(401);
    expect(stale.headers['WWW-Authenticate']).toContain('stale=true');
    const ok = await send(fakeReq({ ...base('agent1'), Authorization: authorize(stale.headers['WWW-Authenticate'], 'agent1', 'pw-one') }));
    expect(ok.status).toBe(200);
  });

  it('locks out a source after repeated bad attempts, other sources unaffected, lock ages out', async () => {
    for (let i = 0; i < 3; i++) expect((await register('agent1', 'bad', {}, '10.0.0.9')).status).toBe(403);
    // now even the right password from that source is refused without a challenge
    const locked = await send(fakeReq(base('agent1'), '10.0.0.9'));
    expect(locked.status).toBe(403);
    expect((await register('agent1', 'pw-one', {}, '10.0.0.7')).status).toBe(200);
    now += 61_000;
    expect((await register('agent1', 'pw-one', {}, '10.0.0.9')).status).toBe(200);
  });

  it('answers 500 when the credential store fails', async () => {
    registrar = new Registrar({
      realm: REALM, nonceSecret: 'x', log, now: () => now,
      credentials: { lookup: async () => { throw new Error('redis down'); } },
      sink: { setRegistration: () => undefined },
    });
    const first = await send(fakeReq(base('agent1')));
    const res = await send(fakeReq({ ...base('agent1'), Authorization: authorize(first.headers['WWW-Authenticate'], 'agent1', 'pw-one') }));
    expect(res.status).toBe(500);
  });
});
