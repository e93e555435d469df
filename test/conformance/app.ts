import { createHash, randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';

/**
 * A tiny drachtio-srf application for the conformance suite. It knows nothing about the engine:
 * it connects by host/port/secret exactly as it would to drachtio-server. Behaviour is chosen by
 * the user part of the request URI:
 *   answer       -> createUAS with SDP (200 OK)
 *   b2bua-<port> -> createB2BUA to sip:service@127.0.0.1:<port>;transport=tcp, SDP passed through
 *   ring         -> 180 Ringing and wait (CANCEL test)
 *   info         -> answer; echo an INFO back after receiving one; re-INVITE answered by srf
 *   noack        -> answer (sipp never ACKs)
 *   proxy-<port> -> srf.proxyRequest to sip:service@127.0.0.1:<port>, record-routed
 * OPTIONS -> 200, REGISTER -> digest challenge (401) then 200 for user/password alice/secret.
 */

export const APP_SDP = [
  'v=0', 'o=app 1 1 IN IP4 127.0.0.1', 's=conformance', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
].join('\r\n');

export const REALM = 'conformance.test';
export const USERS: Record<string, string> = { alice: 'secret' };

export interface AppEvents {
  invites: number;
  cancels: number;
  acks: number;
  infos: number;
  reinvites: number;
  /** In-dialog MESSAGEs received, and re-INVITEs the app sent that got a 200. */
  messages: number;
  modifiesDone: number;
  byes: number;
  /** Dialogs ended by the engine (unsolicited BYE after ACK timeout). */
  destroyedByEngine: number;
  registers: { user: string; ok: boolean }[];
  /** Final status of each proxyRequest. */
  proxied: number[];
  cdr: string[];
}

export interface ConformanceApp {
  srf: Srf;
  events: AppEvents;
  /** createUAC to `uri` with our SDP; hangs up after `holdMs`. Resolves when the BYE got its answer. */
  originate(uri: string, holdMs: number): Promise<{ remoteSdp: string }>;
  /** createUAC to `uri` and CANCEL it on the first provisional response; resolves with the final status. */
  originateAndCancel(uri: string): Promise<number>;
  /** REGISTER to `uri` as alice with srf's digest client answering a challenge; resolves with the final status. */
  registerWithAuth(uri: string): Promise<number>;
  /** Waits until `pred` holds (polling), or rejects after timeoutMs. */
  until(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Ends a dialog, ignoring "already gone" (srf's typings say destroy() returns void; it returns a Promise). */
function hangup(dlg: Srf.Dialog): void {
  Promise.resolve(dlg.destroy() as unknown as Promise<unknown>).catch(() => undefined);
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function digestParams(h: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(h))) out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

export async function startConformanceApp(opts: { host: string; port: number; secret: string }): Promise<ConformanceApp> {
  const srf = new Srf();
  const events: AppEvents = {
    invites: 0, cancels: 0, acks: 0, infos: 0, reinvites: 0, messages: 0, modifiesDone: 0, byes: 0, destroyedByEngine: 0, registers: [], proxied: [], cdr: [],
  };
  const nonces = new Set<string>();

  srf.on('cdr:attempt', (source: string) => events.cdr.push(`attempt:${source}`));
  srf.on('cdr:start', (source: string, _time: string, role: string) => events.cdr.push(`start:${source}:${role}`));
  srf.on('cdr:stop', (source: string, _time: string, reason: string) => events.cdr.push(`stop:${source}:${reason}`));

  const watchDialog = (dlg: Srf.Dialog) => {
    dlg.on('ack', () => events.acks++);
    dlg.on('destroy', (msg: Srf.SrfRequest) => {
      events.byes++;
      if (msg.source === 'application') events.destroyedByEngine++;
    });
  };

  srf.invite(async (req, res) => {
    events.invites++;
    const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
    try {
      if (user === 'ring') {
        req.on('cancel', () => events.cancels++);
        res.send(180);
        return;
      }
      const px = /^proxy-(\d+)$/.exec(user);
      if (px) {
        // srf's typings declare void; without a callback proxyRequest returns a Promise
        const result = (await (srf.proxyRequest(req, `sip:service@127.0.0.1:${px[1]}`, { recordRoute: true }) as unknown)) as { finalStatus: number };
        events.proxied.push(result.finalStatus);
        return;
      }
      const b2b = /^b2bua-(\d+)$/.exec(user);
      if (b2b) {
        const { uas, uac } = await srf.createB2BUA(req, res, `sip:service@127.0.0.1:${b2b[1]};transport=tcp`, {});
        watchDialog(uas);
        uas.on('destroy', () => hangup(uac));
        uac.on('destroy', () => hangup(uas));
        return;
      }
      const dlg = await srf.createUAS(req, res, { localSdp: APP_SDP });
      watchDialog(dlg);
      dlg.on('modify', (r: Srf.SrfRequest, s: Srf.SrfResponse) => {
        events.reinvites++;
        s.send(200, { body: APP_SDP });
        void r;
      });
      dlg.on('message', (_r: Srf.SrfRequest, s: Srf.SrfResponse) => {
        events.messages++;
        s.send(200);
        // a re-INVITE from the app side; srf sends the ACK for the 200 through the engine
        setTimeout(() => {
          (dlg.modify(APP_SDP) as unknown as Promise<unknown>).then(() => events.modifiesDone++, () => undefined);
        }, 50);
      });
      dlg.on('info', (_r: Srf.SrfRequest, s: Srf.SrfResponse) => {
        events.infos++;
        s.send(200);
        // an INFO in the other direction, from the app to the caller
        setTimeout(() => {
          const info = { method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=5\r\nDuration=160\r\n' };
          (dlg.request(info as unknown as Srf.SrfRequest) as Promise<unknown>).catch(() => undefined);
        }, 50);
      });
    } catch (err) {
      if ((err as { status?: number }).status !== 487) console.error('conformance app: invite failed', err);
    }
  });

  srf.use('options', (_req, res) => res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO' } }));

  srf.use('register', (req, res) => {
    const auth = req.get('Authorization');
    const from = /sips?:([^@;>]+)@/.exec(req.get('From') ?? '')?.[1] ?? '';
    if (!auth) {
      const nonce = randomBytes(12).toString('hex');
      nonces.add(nonce);
      res.send(401, { headers: { 'WWW-Authenticate': `Digest realm="${REALM}", nonce="${nonce}", algorithm=MD5` } });
      return;
    }
    const p = digestParams(auth.replace(/^\s*Digest\s+/i, ''));
    const password = USERS[p.username ?? ''];
    const ha1 = md5(`${p.username}:${p.realm}:${password}`);
    const ha2 = md5(`REGISTER:${p.uri}`);
    const expected = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
    const ok = password !== undefined && nonces.has(p.nonce ?? '') && expected === p.response;
    events.registers.push({ user: p.username ?? from, ok });
    if (!ok) {
      res.send(403);
      return;
    }
    nonces.delete(p.nonce ?? '');
    res.send(200, { headers: { Contact: req.get('Contact') ?? '', Expires: '3600' } });
  });

  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('conformance app could not connect to the engine')), 5000);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(t);
      if (err) reject(err);
      else resolve();
    });
    srf.on('error', () => undefined);
    srf.connect({ host: opts.host, port: opts.port, secret: opts.secret });
  });

  return {
    srf,
    events,
    async originate(uri, holdMs) {
      const dlg = await srf.createUAC(uri, { localSdp: APP_SDP, headers: { From: 'sip:conformance@localhost' } });
      const remoteSdp = dlg.remote.sdp;
      await new Promise((r) => setTimeout(r, holdMs));
      await (dlg.destroy() as unknown as Promise<unknown>);
      return { remoteSdp };
    },
    async originateAndCancel(uri) {
      let invite: Srf.SrfRequest | undefined;
      try {
        // srf calls cbRequest(err, req) although its typings say cbRequest(req)
        const cbRequest = (_err: unknown, req: Srf.SrfRequest) => (invite = req);
        await srf.createUAC(uri, { localSdp: APP_SDP }, {
          cbRequest: cbRequest as unknown as (req: Srf.SrfRequest) => void,
          cbProvisional: () => invite?.cancel(() => undefined),
        });
        return 200;
      } catch (err) {
        return (err as { status?: number }).status ?? 0;
      }
    },
    async registerWithAuth(uri) {
      // srf's typings for request() are wrong (4-5 args); the runtime takes (uri, opts) and returns a Promise
      const request = srf.request.bind(srf) as unknown as (uri: string, opts: object) => Promise<Srf.SrfRequest>;
      const req = await request(uri, {
        method: 'REGISTER',
        headers: { From: `<sip:alice@${uri.replace(/^sip:/, '')}>`, To: `<sip:alice@${uri.replace(/^sip:/, '')}>`, Contact: '<sip:alice@localhost>', Expires: '3600' },
        auth: { username: 'alice', password: USERS.alice },
      });
      return new Promise((resolve) => {
        req.on('response', (res?: Srf.SrfResponse) => {
          if (res && res.status >= 200) resolve(res.status);
        });
      });
    },
    until(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
          if (pred()) return resolve();
          if (Date.now() - start > timeoutMs) return reject(new Error('condition not reached in time'));
          setTimeout(tick, 25);
        };
        tick();
      });
    },
    close() {
      srf.removeAllListeners('connect');
      try {
        srf.disconnect();
      } catch {
        // already closed
      }
    },
  };
}
