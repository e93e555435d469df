import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { RecordingMeta } from '../calls/call-channel.js';
import type { RtpengineClient } from '../media/rtpengine-client.js';
import { convertPcapsToWav, type ChannelSelector } from './pcap-to-wav.js';
import type { Recording, RecordingStore } from './recording-store.js';

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
  }

  /** Metadata learnt later (e.g. the agent after the bridge). */
  update(meta: Partial<RecordingMeta>): void {
    this.meta = { ...this.meta, ...meta };
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
    if (!this.o.keepPcaps) await this.removeSpoolFiles(pcaps);
    return rec;
  }

  /** <spool>/pcaps/<callId>-<hex>.pcap, oldest first; waits briefly for rtpengine to close the last one. */
  private async findPcaps(): Promise<string[]> {
    const dir = join(this.o.spoolDir, 'pcaps');
    const prefix = `${this.o.callId}-`;
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
    const prefix = `rtpengine-meta-${this.o.callId}-`;
    for (const n of names) if (n.startsWith(prefix)) await unlink(join(metaDir, n)).catch(() => undefined);
  }
}
