import { EventEmitter } from 'node:events';
import type { CollectOptions, CollectResult, PlayOptions, PromptFile, RecordingMeta } from '../../src/calls/call-channel.js';
import type { CallMedia, CallMediaFactory } from '../../src/calls/media-port.js';
import type { DialogLike, SrfApp, SrfRequestLike, SrfResponseLike, UacOptions } from '../../src/calls/srf-types.js';

/** Fakes of the srf and media ports for unit tests of call control; the e2e tests use the real ones. */

export class FakeDialog extends EventEmitter implements DialogLike {
  destroyed = 0;
  constructor(
    public sip: { callId: string; localTag: string; remoteTag: string },
    public remote = { uri: 'sip:remote@127.0.0.1', sdp: 'v=0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n' },
    public local = { uri: 'sip:local@127.0.0.1', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n' },
  ) {
    super();
  }
  async destroy(): Promise<unknown> {
    this.destroyed++;
    return undefined;
  }
  /** The far end sends BYE (srf emits destroy then drops listeners). */
  remoteBye(): void {
    this.emit('destroy', {});
    this.removeAllListeners();
  }
}

export class FakeMedia implements CallMedia {
  log: string[] = [];
  closed = 0;
  digitListeners = new Set<(d: string) => void>();
  playResult: Promise<{ interrupted: boolean }> | undefined;
  collectResult: Promise<CollectResult> | undefined;
  failPeerAnswered = false;

  async answerPrimary(sdp: string, tag: string) { this.log.push(`answerPrimary:${tag}`); return `answer-for(${sdp.length})`; }
  async offerPrimary() { this.log.push('offerPrimary'); return 'offer-primary-sdp'; }
  async primaryAnswered(_sdp: string, tag: string) { this.log.push(`primaryAnswered:${tag}`); }
  async offerPeer() { this.log.push('offerPeer'); return 'offer-peer-sdp'; }
  async peerAnswered(_sdp: string, tag: string) {
    this.log.push(`peerAnswered:${tag}`);
    if (this.failPeerAnswered) throw new Error('rtpengine answer failed');
  }
  async dropPeer() { this.log.push('dropPeer'); }
  async play(files: PromptFile[], _opts?: PlayOptions) { this.log.push(`play:${files.join(',')}`); return this.playResult ?? { interrupted: false }; }
  async stopPlayback() { this.log.push('stopPlayback'); }
  async collectDigits(_opts: CollectOptions) { this.log.push('collect'); return this.collectResult ?? { digits: '', reason: 'timeout' as const }; }
  onDigit(l: (d: string) => void) { this.digitListeners.add(l); return () => void this.digitListeners.delete(l); }
  digit(d: string) { for (const l of this.digitListeners) l(d); }
  async startHold(f: PromptFile) { this.log.push(`hold:${f}`); }
  async stopHold() { this.log.push('stopHold'); }
  async startRecording(m: RecordingMeta) { this.log.push(`rec:${JSON.stringify(m)}`); }
  async pauseRecording() { this.log.push('pauseRec'); }
  async resumeRecording() { this.log.push('resumeRec'); }
  async close() { this.closed++; this.log.push('close'); }
}

export class FakeMediaFactory implements CallMediaFactory {
  created: { id: string; media: FakeMedia }[] = [];
  create(id: string): FakeMedia {
    const media = new FakeMedia();
    this.created.push({ id, media });
    return media;
  }
}

/**
 * Scripted far ends for createUAC: 'answer', a SIP status, 'ring' (180, rings until CANCEL -> 487),
 * or 'dead' (nothing ever answers, not even the CANCEL: Timer B territory).
 */
type UacAction = 'answer' | 'ring' | 'dead' | number;
export type UacScript = UacAction | ((uri: string) => UacAction);

export class FakeSrf extends EventEmitter implements SrfApp {
  invites: { uri: string; opts: UacOptions; cancelled: boolean }[] = [];
  uacDialogs: FakeDialog[] = [];
  uasDialogs: FakeDialog[] = [];
  inviteHandler?: (req: SrfRequestLike, res: SrfResponseLike) => void;
  optionsHandler?: (req: SrfRequestLike, res: SrfResponseLike) => void;
  private n = 0;
  constructor(public script: UacScript = 'answer') {
    super();
  }
  invite(h: (req: SrfRequestLike, res: SrfResponseLike) => void) { this.inviteHandler = h; }
  options(h: (req: SrfRequestLike, res: SrfResponseLike) => void) { this.optionsHandler = h; }

  createUAC(uri: string, opts: UacOptions, progress?: { cbRequest?: (err: unknown, req?: SrfRequestLike) => void; cbProvisional?: (res: { status: number }) => void }): Promise<FakeDialog> {
    const rec = { uri, opts, cancelled: false };
    this.invites.push(rec);
    const action = typeof this.script === 'function' ? this.script(uri) : this.script;
    return new Promise((resolve, reject) => {
      const sipErr = (status: number) => Object.assign(new Error(`Sip non-success response: ${status}`), { status });
      const req = fakeRequest({ 'Call-ID': `uac-${++this.n}` });
      req.cancel = () => {
        rec.cancelled = true;
        if (action !== 'dead') setImmediate(() => reject(sipErr(487)));
      };
      setImmediate(() => {
        progress?.cbRequest?.(null, req);
        if (action === 'dead') return;
        if (action === 'ring') return progress?.cbProvisional?.({ status: 180 });
        if (action === 'answer') {
          const d = new FakeDialog({ callId: `uac-${this.n}`, localTag: `lt${this.n}`, remoteTag: `rt${this.n}` });
          this.uacDialogs.push(d);
          setImmediate(() => resolve(d));
        } else setImmediate(() => reject(sipErr(action)));
      });
    });
  }

  async createUAS(req: SrfRequestLike, res: SrfResponseLike, opts: { localSdp: string }): Promise<FakeDialog> {
    res.send(200, { body: opts.localSdp });
    const d = new FakeDialog({ callId: req.get('Call-ID'), localTag: 'uas-tag', remoteTag: 'caller-tag' });
    d.local.sdp = opts.localSdp;
    this.uasDialogs.push(d);
    return d;
  }
}

export function fakeRequest(headers: Record<string, string>, extra: Partial<SrfRequestLike> = {}): SrfRequestLike & EventEmitter {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ee = new EventEmitter();
  return Object.assign(ee, {
    method: 'INVITE',
    uri: 'sip:100@127.0.0.1',
    body: 'v=0\r\nm=audio 6000 RTP/AVP 0\r\n',
    callingNumber: '15551230000',
    calledNumber: '100',
    source_address: '127.0.0.1',
    get: (n: string) => lower[n.toLowerCase()],
    has: (n: string) => n.toLowerCase() in lower,
    ...extra,
  });
}

export class FakeResponse implements SrfResponseLike {
  sent: { status: number; opts?: unknown }[] = [];
  get finalResponseSent() { return this.sent.some((s) => s.status >= 200); }
  send(status: number, reason?: string | object, opts?: object) {
    this.sent.push({ status, opts: typeof reason === 'object' ? reason : opts });
  }
}
