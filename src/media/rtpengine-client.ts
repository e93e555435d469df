import { createRequire } from 'node:module';

/**
 * Typed wrapper over npm `rtpengine-client` (ng protocol over UDP). Callers pass camelCase option objects;
 * this module maps them to the ng dictionary, applies a per-request timeout and turns `result: error`
 * into an RtpengineError that names the command and call-id.
 */

// rtpengine-client is CommonJS without types: only the surface used here is declared.
interface RawClient {
  on(event: 'error' | 'listening', cb: (arg?: unknown) => void): void;
  close(): void;
  [command: string]: unknown;
}
type RawSend = (port: number, host: string, params: Record<string, unknown>) => Promise<NgResponse>;

const require = createRequire(import.meta.url);
const { Client } = require('rtpengine-client') as { Client: new (opts: Record<string, unknown>) => RawClient };

export interface RtpengineClientOptions {
  host: string;
  port: number;
  /** Per-request timeout; rtpengine answers loopback requests in well under 10 ms. */
  timeoutMs?: number;
  localAddress?: string;
  /** Receives late replies and socket errors that belong to no pending request. */
  onStrayError?: (err: Error) => void;
}

export class RtpengineError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
    readonly callId?: string,
    readonly kind: 'error' | 'timeout' | 'transport' = 'error',
  ) {
    super(`rtpengine ${command}${callId ? ` (call ${callId})` : ''} failed: ${reason}`);
    this.name = 'RtpengineError';
  }
}

/** Codec manipulation flags of offer/answer (ng `codec` dictionary). */
export interface CodecOptions {
  transcode?: string[];
  strip?: string[];
  mask?: string[];
  except?: string[];
  offer?: string[];
}

interface SdpCommandOptions {
  callId: string;
  fromTag: string;
  sdp: string;
  /** ng flags, e.g. 'inject-DTMF', 'trust-address', 'strict-source'. */
  flags?: string[];
  replace?: ('origin' | 'session-connection' | 'session-name')[];
  /** 'remove' strips ICE attributes (plain SIP endpoints). */
  ice?: 'remove' | 'force' | 'default';
  rtcpMux?: ('offer' | 'demux' | 'accept' | 'reject' | 'require')[];
  codec?: CodecOptions;
  transportProtocol?: 'RTP/AVP' | 'RTP/SAVP' | 'RTP/AVPF';
  /** Pins which interface addresses are used: [from side, to side]. */
  direction?: [string, string];
  /** Turns recording on together with the offer/answer. */
  recordCall?: boolean;
  label?: string;
}

export interface OfferOptions extends SdpCommandOptions {
  /** Only on a re-offer towards a known peer. */
  toTag?: string;
}

export interface AnswerOptions extends SdpCommandOptions {
  toTag: string;
}

export interface DeleteOptions {
  callId: string;
  /** Deletes only this participant (and what is bridged to it) instead of the whole call. */
  fromTag?: string;
  toTag?: string;
  /** Delete after this many seconds (default 0: now). */
  deleteDelay?: number;
}

export interface CallRef {
  callId: string;
  fromTag?: string;
  toTag?: string;
}

export interface PlayMediaOptions {
  callId: string;
  /** The participant that hears the file. */
  fromTag: string;
  /** Absolute path readable by the rtpengine process (8 kHz or 22.05 kHz WAV). */
  file: string;
  /** Plays the file this many times in a row (hold music loops). */
  repeatTimes?: number;
  /** Start offset into the file. */
  startPosMs?: number;
}

export interface PlayDtmfOptions {
  callId: string;
  fromTag: string;
  code: string;
  durationMs?: number;
  volume?: number;
}

/** A raw ng reply: every command has result plus command-specific fields. */
export interface NgResponse {
  result: 'ok' | 'pong' | 'error' | 'load limit' | string;
  'error-reason'?: string;
  warning?: string;
  [k: string]: unknown;
}

export interface OfferAnswerResult {
  sdp: string;
  warning?: string;
}

export interface PlayMediaResult {
  /** Length of the file in ms as rtpengine reports it (absent on some versions/files). */
  durationMs?: number;
}

/** `query` reply, reduced to what leak checks and call inspection need. */
export interface QueryResult {
  created?: number;
  lastSignal?: number;
  tags: Record<string, { tag: string; label?: string; medias: unknown[] }>;
  totals: { rtp: { packets: number; bytes: number; errors: number }; rtcp: { packets: number; bytes: number; errors: number } };
  raw: NgResponse;
}

/** `statistics` reply: the current and total counters (sessions, packet loss, errors). */
export interface StatisticsResult {
  currentSessionsOwn: number;
  currentSessionsTotal: number;
  raw: NgResponse;
}

const bool = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');

function sdpParams(o: SdpCommandOptions & { toTag?: string }): Record<string, unknown> {
  const p: Record<string, unknown> = {
    'call-id': o.callId,
    'from-tag': o.fromTag,
    sdp: o.sdp,
  };
  if (o.toTag) p['to-tag'] = o.toTag;
  if (o.flags?.length) p.flags = o.flags;
  if (o.replace?.length) p.replace = o.replace;
  if (o.ice) p.ICE = o.ice;
  if (o.rtcpMux?.length) p['rtcp-mux'] = o.rtcpMux;
  if (o.codec) p.codec = o.codec;
  if (o.transportProtocol) p['transport-protocol'] = o.transportProtocol;
  if (o.direction) p.direction = o.direction;
  if (o.recordCall !== undefined) p['record call'] = bool(o.recordCall);
  if (o.label) p.label = o.label;
  return p;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

export class RtpengineClient {
  private readonly raw: RawClient;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(private readonly o: RtpengineClientOptions) {
    this.raw = new Client({ localPort: 0, localAddress: o.localAddress ?? '127.0.0.1', timeout: o.timeoutMs ?? 2000 });
    this.ready = new Promise((resolve) => this.raw.on('listening', () => resolve()));
    // Late replies (after a timeout) are emitted as 'error' by the library: never let them crash the process.
    this.raw.on('error', (err) => o.onStrayError?.(err instanceof Error ? err : new Error(String(err))));
  }

  get target(): string {
    return `${this.o.host}:${this.o.port}`;
  }

  /** Sends one ng command; resolves with the reply or rejects with RtpengineError (error result, timeout, socket). */
  async command(name: string, params: Record<string, unknown>, callId?: string): Promise<NgResponse> {
    if (this.closed) throw new RtpengineError(name, 'client closed', callId, 'transport');
    await this.ready;
    const send = this.raw[name] as RawSend | undefined;
    if (typeof send !== 'function') throw new RtpengineError(name, 'unknown command in rtpengine-client', callId);
    let res: NgResponse;
    try {
      res = await send.call(this.raw, this.o.port, this.o.host, params);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new RtpengineError(name, msg, callId, /timeout/i.test(msg) ? 'timeout' : 'transport');
    }
    if (res.result === 'error' || res.result === 'load limit') {
      throw new RtpengineError(name, String(res['error-reason'] ?? res.result), callId);
    }
    return res;
  }

  async ping(): Promise<void> {
    const r = await this.command('ping', {});
    if (r.result !== 'pong') throw new RtpengineError('ping', `unexpected reply ${r.result}`);
  }

  async offer(o: OfferOptions): Promise<OfferAnswerResult> {
    const r = await this.command('offer', sdpParams(o), o.callId);
    return { sdp: String(r.sdp), ...(r.warning ? { warning: String(r.warning) } : {}) };
  }

  async answer(o: AnswerOptions): Promise<OfferAnswerResult> {
    const r = await this.command('answer', sdpParams(o), o.callId);
    return { sdp: String(r.sdp), ...(r.warning ? { warning: String(r.warning) } : {}) };
  }

  /** Deletes now by default (rtpengine's own default delete-delay is 30 s, which looks like a leak). */
  async delete(o: DeleteOptions): Promise<{ found: boolean }> {
    const p: Record<string, unknown> = { 'call-id': o.callId, 'delete-delay': o.deleteDelay ?? 0 };
    if (o.fromTag) p['from-tag'] = o.fromTag;
    if (o.toTag) p['to-tag'] = o.toTag;
    const r = await this.command('delete', p, o.callId);
    // rtpengine answers ok + warning "Call-ID not found or tags didn't match" for an unknown call
    return { found: !(typeof r.warning === 'string' && /not found/i.test(r.warning)) };
  }

  /** Deletes the call; false when rtpengine did not know it (already gone). */
  async deleteIfExists(o: DeleteOptions): Promise<boolean> {
    try {
      return (await this.delete(o)).found;
    } catch (err) {
      if (err instanceof RtpengineError && err.kind === 'error' && /unknown call|not found/i.test(err.reason)) return false;
      throw err;
    }
  }

  async query(callId: string): Promise<QueryResult> {
    const r = await this.command('query', { 'call-id': callId }, callId);
    const totals = (r.totals ?? {}) as { RTP?: Record<string, unknown>; RTCP?: Record<string, unknown> };
    const t = (d?: Record<string, unknown>) => ({ packets: num(d?.packets), bytes: num(d?.bytes), errors: num(d?.errors) });
    return {
      created: r.created !== undefined ? num(r.created) : undefined,
      lastSignal: r['last signal'] !== undefined ? num(r['last signal']) : undefined,
      tags: (r.tags ?? {}) as QueryResult['tags'],
      totals: { rtp: t(totals.RTP), rtcp: t(totals.RTCP) },
      raw: r,
    };
  }

  /** Call-ids rtpengine currently holds (leak checks). */
  async list(limit = 1000): Promise<string[]> {
    const r = await this.command('list', { limit });
    return Array.isArray(r.calls) ? r.calls.map(String) : [];
  }

  async statistics(): Promise<StatisticsResult> {
    const r = await this.command('statistics', {});
    const stats = (r.statistics ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const cur = stats.currentstatistics ?? {};
    return { currentSessionsOwn: num(cur.sessionsown), currentSessionsTotal: num(cur.sessionstotal), raw: r };
  }

  async playMedia(o: PlayMediaOptions): Promise<PlayMediaResult> {
    const p: Record<string, unknown> = { 'call-id': o.callId, 'from-tag': o.fromTag, file: o.file };
    if (o.repeatTimes !== undefined) p['repeat-times'] = o.repeatTimes;
    if (o.startPosMs !== undefined) p['start-pos'] = o.startPosMs;
    const r = await this.command('playMedia', p, o.callId);
    return r.duration !== undefined ? { durationMs: num(r.duration) } : {};
  }

  async stopMedia(o: CallRef): Promise<void> {
    await this.command('stopMedia', refParams(o), o.callId);
  }

  /** Drops media coming from the participant (e.g. the agent while a prompt plays to the caller). */
  async blockMedia(o: CallRef): Promise<void> {
    await this.command('blockMedia', refParams(o), o.callId);
  }

  async unblockMedia(o: CallRef): Promise<void> {
    await this.command('unblockMedia', refParams(o), o.callId);
  }

  async playDtmf(o: PlayDtmfOptions): Promise<void> {
    const p: Record<string, unknown> = { 'call-id': o.callId, 'from-tag': o.fromTag, code: o.code };
    if (o.durationMs !== undefined) p.duration = o.durationMs;
    if (o.volume !== undefined) p.volume = o.volume;
    await this.command('playDTMF', p, o.callId);
  }

  async startRecording(o: CallRef): Promise<void> {
    await this.command('startRecording', refParams(o), o.callId);
  }

  async stopRecording(o: CallRef): Promise<void> {
    await this.command('stopRecording', refParams(o), o.callId);
  }

  /**
   * rtpengine 10.5 has no `pause recording` command (added in later releases): pausing is a stop, and
   * resuming a start; the pcap-to-wav step renders the gap as silence.
   */
  async pauseRecording(o: CallRef): Promise<void> {
    await this.stopRecording(o);
  }

  async resumeRecording(o: CallRef): Promise<void> {
    await this.startRecording(o);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.raw.close();
    } catch {
      /* already closed */
    }
  }
}

function refParams(o: CallRef): Record<string, unknown> {
  const p: Record<string, unknown> = { 'call-id': o.callId };
  if (o.fromTag) p['from-tag'] = o.fromTag;
  if (o.toTag) p['to-tag'] = o.toTag;
  return p;
}
