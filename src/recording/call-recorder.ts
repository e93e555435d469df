import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { RecordingMeta } from '../calls/call-channel.js';
import type { RtpengineClient } from '../media/rtpengine-client.js';
import { convertPcapsToWav, type ChannelSelector } from './pcap-to-wav.js';
import type { PendingRecording, Recording, RecordingStore } from './recording-store.js';

/**
 * Recording of one call: start/pause/resume/stop in rtpengine (pcap method), and after the call the
 * pcap segments become one stereo WAV (customer left, agent right) indexed in the RecordingStore.
 * rtpengine 10.5 has no `pause recording`: pause = stop recording (rtpengine closes that pcap segment),
 * resume = start recording (a new segment); the pause renders as silence in the WAV.
 */
export interface CallRecorderOptions {
  client: RtpengineClient;
  /** rtpengine call-id. */
  callId: string;
  /** rtpengine's --recording-dir (pcaps in <spoolDir>/pcaps, metadata in <spoolDir>/metadata). */
  spoolDir: string;
  /** Where finished WAVs go (<recordingsDir>/<yyyy-mm-dd>/<id>.wav). */
  recordingsDir: string;
  store: RecordingStore;
  log: Logger;
  /** Keep the pcaps after conversion (debugging). */
  keepPcaps?: boolean;
  /** rtpengine ports of the customer leg, persisted with the pending recording for crash recovery. */
  primaryPorts?: () => number[];
  now?: () => number;
}

export class CallRecorder {
  private meta?: RecordingMeta;
  private startedAt?: number;
  private pausedAt?: number;
  private pausedMs = 0;
  private finalized?: Promise<Recording | undefined>;
  private readonly now: () => number;

  constructor(private readonly o: CallRecorderOptions) {
    this.now = o.now ?? Date.now;
  }

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  /** Starts recording (idempotent: a second start only merges the metadata). */
  async start(meta: RecordingMeta): Promise<void> {
    this.meta = { ...this.meta, ...meta };
    if (this.startedAt !== undefined) return;
    await this.o.client.startRecording({ callId: this.o.callId });
    this.startedAt = this.now();
    await this.persist();
  }

  /** Metadata learnt later (e.g. the agent after the bridge). */
  update(meta: Partial<RecordingMeta>): void {
    this.meta = { ...this.meta, ...meta };
    void this.persist();
  }

  /** A recording left behind by a process that died mid-call (see recoverOrphanRecordings). */
  static restore(o: CallRecorderOptions, p: PendingRecording): CallRecorder {
    const r = new CallRecorder({ ...o, callId: p.callId });
    r.meta = p.meta;
    r.startedAt = p.startedAt;
    r.pausedMs = p.pausedMs;
    return r;
  }

  private async persist(): Promise<void> {
    if (this.startedAt === undefined || this.finalized) return;
    try {
      await this.o.store.markPending({
        callId: this.o.callId,
        startedAt: this.startedAt,
        meta: this.meta ?? {},
        primaryPorts: this.o.primaryPorts?.() ?? [],
        pausedMs: this.pausedMs,
      });
    } catch (err) {
      this.o.log.warn({ err }, 'recording: could not persist pending state');
    }
  }

  async pause(): Promise<void> {
    if (this.startedAt === undefined || this.pausedAt !== undefined) return;
    await this.o.client.pauseRecording({ callId: this.o.callId });
    this.pausedAt = this.now();
  }

  async resume(): Promise<void> {
    if (this.pausedAt === undefined) return;
    await this.o.client.resumeRecording({ callId: this.o.callId });
    this.pausedMs += this.now() - this.pausedAt;
    this.pausedAt = undefined;
    await this.persist();
  }

  /**
   * Converts and indexes the recording; call after the rtpengine call was deleted (pcaps closed).
   * Idempotent; resolves undefined when nothing was recorded. Never leaves the pcaps behind on success.
   */
  finalize(channels: { left: ChannelSelector; right: ChannelSelector }): Promise<Recording | undefined> {
    this.finalized ??= this.doFinalize(channels);
    return this.finalized;
  }

  private async doFinalize(channels: { left: ChannelSelector; right: ChannelSelector }): Promise<Recording | undefined> {
    if (this.startedAt === undefined) return undefined;
    if (this.pausedAt !== undefined) {
      this.pausedMs += this.now() - this.pausedAt;
      this.pausedAt = undefined;
    }
    const log = this.o.log;
    const pcaps = await this.findPcaps();
    if (pcaps.length === 0) {
      log.warn({ spool: this.o.spoolDir }, 'recording: no pcap found for call');
      await this.o.store.clearPending(this.o.callId);
      return undefined;
    }
    const id = randomUUID();
    const day = new Date(this.startedAt).toISOString().slice(0, 10);
    const dir = resolve(this.o.recordingsDir, day);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${id}.wav`);
    const res = await convertPcapsToWav(pcaps, path, { ...channels, startMs: this.startedAt });
    const meta = this.meta ?? {};
    const rec = await this.o.store.save({
      id,
      callId: this.o.callId,
      ...(meta.campaignId ? { campaignId: meta.campaignId } : {}),
      ...(meta.queueId ? { queueId: meta.queueId } : {}),
      ...(meta.agentId ? { agentId: meta.agentId } : {}),
      ...(meta.leadId ? { leadId: meta.leadId } : {}),
      startedAt: new Date(this.startedAt).toISOString(),
      durationMs: res.durationMs,
      noticePlayed: meta.noticePlayed ?? false,
      pausedMs: this.pausedMs,
      path,
      sizeBytes: res.sizeBytes,
      format: 'wav',
    });
    log.info({ recordingId: id, path, durationMs: res.durationMs, segments: pcaps.length }, 'recording stored');
    await this.o.store.clearPending(this.o.callId);
    if (!this.o.keepPcaps) await this.removeSpoolFiles(pcaps);
    return rec;
  }

  /** <spool>/pcaps/<callId>-<hex>.pcap, oldest first; waits briefly for rtpengine to close the last one. */
  private async findPcaps(): Promise<string[]> {
    const dir = join(this.o.spoolDir, 'pcaps');
    const prefix = `${spoolFileId(this.o.callId)}-`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const mine = names.filter((n) => n.startsWith(prefix) && /^[0-9a-f]+\.pcap$/.test(n.slice(prefix.length)));
      if (mine.length) {
        const withTime = await Promise.all(mine.map(async (n) => ({ p: join(dir, n), t: (await stat(join(dir, n))).birthtimeMs })));
        return withTime.sort((a, b) => a.t - b.t).map((x) => x.p);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return [];
  }

  private async removeSpoolFiles(pcaps: string[]): Promise<void> {
    for (const p of pcaps) await unlink(p).catch(() => undefined);
    const metaDir = join(this.o.spoolDir, 'metadata');
    const names = await readdir(metaDir).catch(() => [] as string[]);
    const prefix = `rtpengine-meta-${spoolFileId(this.o.callId)}-`;
    for (const n of names) if (n.startsWith(prefix)) await unlink(join(metaDir, n)).catch(() => undefined);
  }
}

/**
 * rtpengine names spool files after the Call-ID percent-escaped (glib URI escaping: everything but
 * A-Z a-z 0-9 - . _ ~ becomes %XX, upper case), e.g. `1-2@host` -> `1-2%40host` (checked on 10.5).
 */
export function spoolFileId(callId: string): string {
  let out = '';
  for (const byte of Buffer.from(callId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Converts recordings whose process died mid-call: pending entries whose call rtpengine no longer holds
 * (deleted, or reaped by its --timeout) and that this process is not handling. Run at start-up and
 * periodically (e.g. with enforceRetention). Customer = the persisted ports (left), everything else right.
 */
export async function recoverOrphanRecordings(o: {
  client: RtpengineClient;
  store: RecordingStore;
  spoolDir: string;
  recordingsDir: string;
  log: Logger;
  /** Calls this process still owns (their recorder finalizes them itself). */
  activeCallIds?: Set<string>;
}): Promise<{ recovered: Recording[]; waiting: number }> {
  const live = new Set(await o.client.list(10_000));
  const recovered: Recording[] = [];
  let waiting = 0;
  for (const p of await o.store.listPending()) {
    if (live.has(p.callId) || o.activeCallIds?.has(p.callId)) {
      waiting++;
      continue;
    }
    const log = o.log.child({ callId: p.callId });
    const r = CallRecorder.restore({ ...o, callId: p.callId, log }, p);
    try {
      const rec = await r.finalize({ left: { dstPorts: p.primaryPorts }, right: { rest: true } });
      if (rec) recovered.push(rec);
      log.info({ recordingId: rec?.id }, 'orphan recording recovered');
    } catch (err) {
      log.error({ err }, 'orphan recording could not be converted');
    }
  }
  return { recovered, waiting };
}
