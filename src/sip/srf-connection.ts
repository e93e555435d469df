import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

export interface SrfConnectionOptions {
  host: string;
  port: number;
  secret: string;
  log: Logger;
  /** Upper bound of the reconnect back-off (srf starts at ~250 ms and multiplies by 1.7). */
  retryMaxDelayMs?: number;
  /** Tags for tag-based routing on the drachtio server. */
  tags?: string[];
}

/**
 * One outbound connection from this service to a drachtio server (embedded engine or the real one).
 * drachtio-srf's wire layer reconnects by itself after a dropped socket; this class bounds the back-off,
 * keeps `isConnected()` true only while authenticated, and logs every transition.
 */
export class SrfConnection {
  readonly srf: Srf;
  private connected = false;
  private stopped = false;
  private hostport = '';
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly opts: SrfConnectionOptions) {
    this.srf = opts.tags?.length ? new Srf(opts.tags) : new Srf();
    const log = opts.log.child({ component: 'srf', drachtio: `${opts.host}:${opts.port}` });
    this.srf.on('connect', (err: Error | null, hostport: string) => {
      if (this.stopped) {
        this.safeDisconnect();
        return;
      }
      if (err) {
        this.connected = false;
        log.error({ err }, 'drachtio rejected our secret');
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        return;
      }
      this.connected = true;
      this.hostport = hostport;
      log.info({ hostport }, 'connected to drachtio');
      for (const w of this.waiters) w.resolve();
      this.waiters.clear();
    });
    // 'error' must have a listener or EventEmitter throws; srf reconnects after it
    this.srf.on('error', (err: Error) => {
      if (!this.stopped) log.warn({ err: err.message }, 'drachtio connection error');
    });
    (this.srf as unknown as import('node:events').EventEmitter).on('close', () => {
      if (this.connected) log.warn('drachtio connection lost; reconnecting');
      this.connected = false;
    });
    (this.srf as unknown as import('node:events').EventEmitter).on('reconnecting', (info: { delay: number; attempt: number }) => {
      if (!this.stopped) log.debug(info, 'reconnecting to drachtio');
    });
  }

  /** Starts connecting; resolves on the first successful authentication (rejects on a wrong secret or after timeoutMs). */
  start(timeoutMs = 10_000): Promise<void> {
    const p = this.waitConnected(timeoutMs);
    // srf passes `reconnect` through to its wire protocol; without retryMaxDelay the back-off grows forever
    const connectOpts = { host: this.opts.host, port: this.opts.port, secret: this.opts.secret, reconnect: { retryMaxDelay: this.opts.retryMaxDelayMs ?? 2000 } };
    void this.srf.connect(connectOpts as Srf.SrfConfig);
    return p;
  }

  /** Resolves when (re)connected; for tests and start-up ordering. */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => (clearTimeout(t), resolve()),
        reject: (e: Error) => (clearTimeout(t), reject(e)),
      };
      const t = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no drachtio connection to ${this.opts.host}:${this.opts.port} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** The SIP address(es) the server listens on, as reported at authentication (e.g. `udp/127.0.0.1:5060`). */
  get sipHostports(): string {
    return this.hostport;
  }

  /** For /readyz: `ctx.readiness.push(conn.readinessCheck())`. */
  readinessCheck(): { name: string; check(): Promise<void> } {
    return {
      name: 'drachtio',
      check: async () => {
        if (!this.connected) throw new Error('not connected to drachtio');
      },
    };
  }

  stop(): void {
    this.stopped = true;
    this.connected = false;
    for (const w of this.waiters) w.reject(new Error('srf connection stopped'));
    this.waiters.clear();
    // A pending reconnect timer would open a new socket after stop; srf has no API to cancel it.
    const wp = (this.srf as unknown as { _app?: { client?: { wp?: { closing?: boolean; reconnectVars?: { retryTimer?: NodeJS.Timeout | null } } } } })._app?.client?.wp;
    if (wp) {
      wp.closing = true;
      if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
      if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
    }
    this.safeDisconnect();
  }

  private safeDisconnect(): void {
    try {
      this.srf.disconnect();
    } catch {
      // no socket open: nothing to close
    }
  }
}
