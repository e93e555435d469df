import type { Logger } from 'pino';
import { AuthRateLimiter } from './auth-rate-limiter.js';
import { challengeHeader, digestResponseValid, ha1Of, NonceIssuer, parseAuthorization } from './digest.js';
import type { AgentCredentials, RegistrationSink } from './ports.js';
import { parseNameAddr, splitHeaderList, uriUser } from './sip-headers.js';

/** The parts of a drachtio-srf request/response the registrar uses (srf's objects satisfy these). */
export interface RegisterRequest {
  method: string;
  uri: string;
  source_address: string;
  get(name: string): string;
  has(name: string): boolean;
}
export interface RegisterResponse {
  send(status: number, reason: string, opts: { headers?: Record<string, string> }): void;
}

export interface RegistrarOptions {
  realm: string;
  /** Shared by every instance so nonces from one validate on another. */
  nonceSecret: string;
  credentials: AgentCredentials;
  sink: RegistrationSink;
  log: Logger;
  nonceTtlMs?: number;
  minExpiresSec?: number;
  maxExpiresSec?: number;
  defaultExpiresSec?: number;
  /** Failed attempts per source address before it is locked out for `failureWindowMs`. */
  maxAuthFailures?: number;
  failureWindowMs?: number;
  now?: () => number;
}

/** A REGISTER handler: digest authentication against agent credentials, bindings stored through the sink. */
export class Registrar {
  private readonly nonces: NonceIssuer;
  private readonly limiter: AuthRateLimiter;
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private readonly defaultExpires: number;

  constructor(private readonly opts: RegistrarOptions) {
    this.nonces = new NonceIssuer({ secret: opts.nonceSecret, realm: opts.realm, ttlMs: opts.nonceTtlMs ?? 5 * 60_000, now: opts.now });
    this.limiter = new AuthRateLimiter({ maxFailures: opts.maxAuthFailures ?? 5, windowMs: opts.failureWindowMs ?? 5 * 60_000, now: opts.now });
    this.minExpires = opts.minExpiresSec ?? 60;
    this.maxExpires = opts.maxExpiresSec ?? 3600;
    this.defaultExpires = opts.defaultExpiresSec ?? 3600;
  }

  /** Register on an srf instance: `registrar.attach(srf)`. */
  attach(srf: { register(handler: (req: RegisterRequest, res: RegisterResponse) => void): void }): void {
    srf.register((req, res) => void this.handle(req, res));
  }

  async handle(req: RegisterRequest, res: RegisterResponse): Promise<void> {
    const source = req.source_address;
    const log = this.opts.log.child({ callId: req.get('Call-ID'), source });
    try {
      await this.process(req, res, source, log);
    } catch (err) {
      log.error({ err }, 'REGISTER handling failed');
      res.send(500, 'Server Internal Error', {});
    }
  }

  private challenge(res: RegisterResponse, stale = false): void {
    res.send(401, 'Unauthorized', { headers: { 'WWW-Authenticate': challengeHeader(this.opts.realm, this.nonces.issue(), stale) } });
  }

  private fail(res: RegisterResponse, source: string, log: Logger, why: string, user?: string): void {
    this.limiter.recordFailure(source);
    log.warn({ user, why }, 'REGISTER rejected');
    res.send(403, 'Forbidden', {});
  }

  private async process(req: RegisterRequest, res: RegisterResponse, source: string, log: Logger): Promise<void> {
    if (this.limiter.isBlocked(source)) {
      log.warn('REGISTER from a source over the failed-auth limit');
      res.send(403, 'Forbidden', {});
      return;
    }
    const params = parseAuthorization(req.has('Authorization') ? req.get('Authorization') : undefined);
    if (!params) return this.challenge(res);

    const nonceState = this.nonces.check(params.nonce ?? '');
    if (nonceState === 'stale') return this.challenge(res, true);
    if (nonceState === 'invalid') {
      this.limiter.recordFailure(source);
      log.warn({ user: params.username }, 'REGISTER with a nonce we did not issue');
      return this.challenge(res);
    }
    if (params.realm !== this.opts.realm) return this.fail(res, source, log, 'wrong realm', params.username);

    const username = params.username ?? '';
    const aorUser = uriUser(parseNameAddr(req.get('To') ?? '').uri);
    if (!username || aorUser !== username) return this.fail(res, source, log, `AOR user ${aorUser} differs from auth user`, username);

    const cred = await this.opts.credentials.lookup(username);
    if (!cred) return this.fail(res, source, log, 'unknown user', username);
    const ha1 = cred.ha1 ?? (cred.password !== undefined ? ha1Of(username, this.opts.realm, cred.password) : undefined);
    if (!ha1 || !digestResponseValid({ method: req.method, ha1, params })) return this.fail(res, source, log, 'bad credentials', username);
    this.limiter.recordSuccess(source);

    await this.applyBindings(req, res, cred.agentId, log);
  }

  private async applyBindings(req: RegisterRequest, res: RegisterResponse, agentId: string, log: Logger): Promise<void> {
    const expiresHeader = req.has('Expires') ? Number.parseInt(req.get('Expires'), 10) : undefined;
    const contactValues = req.has('Contact') ? splitHeaderList(req.get('Contact')) : [];

    if (contactValues.length === 0) {
      // A query: we do not keep bindings here (the sink owns them), so answer without a Contact list
      res.send(200, 'OK', {});
      return;
    }

    if (contactValues.some((c) => c.trim() === '*')) {
      if (contactValues.length !== 1 || expiresHeader !== 0) {
        res.send(400, 'Invalid Wildcard', {});
        return;
      }
      if (this.opts.sink.clearRegistrations) await this.opts.sink.clearRegistrations(agentId);
      else await this.opts.sink.setRegistration(agentId, '*', 0);
      log.info({ agentId }, 'all registrations removed');
      res.send(200, 'OK', {});
      return;
    }

    const bindings: { uri: string; expires: number }[] = [];
    for (const value of contactValues) {
      const c = parseNameAddr(value);
      const raw = c.params.expires !== undefined ? Number.parseInt(c.params.expires, 10) : expiresHeader ?? this.defaultExpires;
      const expires = Number.isFinite(raw) && raw >= 0 ? raw : this.defaultExpires;
      if (expires > 0 && expires < this.minExpires) {
        res.send(423, 'Interval Too Brief', { headers: { 'Min-Expires': String(this.minExpires) } });
        return;
      }
      bindings.push({ uri: c.uri, expires: Math.min(expires, this.maxExpires) });
    }
    for (const b of bindings) {
      await this.opts.sink.setRegistration(agentId, b.uri, b.expires);
      log.info({ agentId, contact: b.uri, expires: b.expires }, b.expires === 0 ? 'unregistered' : 'registered');
    }
    const live = bindings.filter((b) => b.expires > 0);
    const headers: Record<string, string> = {};
    if (live.length) headers.Contact = live.map((b) => `<${b.uri}>;expires=${b.expires}`).join(', ');
    res.send(200, 'OK', { headers });
  }
}
