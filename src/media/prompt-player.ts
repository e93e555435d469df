import type { Logger } from 'pino';
import type { RtpengineClient } from './rtpengine-client.js';
import type { DigitCollector } from './digit-collector.js';
import { wavInfo } from './wav.js';

/**
 * Plays prompt files to one rtpengine participant, one `play media` per file, with completion detected by
 * the duration rtpengine reports (falling back to the WAV header) plus a short margin. While playing, the
 * participants in `block` are muted (`block media`) so the listener hears only the prompt, and unblocked
 * afterwards whatever happens. With bargeIn, a key press stops the prompt; the digit stays in the
 * collector's buffer for the next collectDigits (type-ahead). A newer play/stop supersedes an older one.
 */
export interface PromptPlayerOptions {
  client: RtpengineClient;
  callId: string;
  log: Logger;
  /** Digits of the listening leg (barge-in and type-ahead). */
  digits?: DigitCollector;
  /** Added to each file's duration before the next file starts (rtpengine start latency). */
  marginMs?: number;
}

export interface PlayRequest {
  files: string[];
  /** rtpengine tag that hears the prompt. */
  to: string;
  /** rtpengine tags whose media is blocked while playing. */
  block?: string[];
  bargeIn?: boolean;
}

export interface PlayOutcome {
  interrupted: boolean;
  /** Files rtpengine refused (missing, unreadable, bad format); playback went on with the next one. */
  failed: string[];
}

export class PromptPlayer {
  private generation = 0;
  private cancelCurrent?: () => void;
  private current?: Promise<unknown>;
  private holdState?: { to: string; block: string[] };

  constructor(private readonly o: PromptPlayerOptions) {}

  get playing(): boolean {
    return this.cancelCurrent !== undefined;
  }

  async play(req: PlayRequest): Promise<PlayOutcome> {
    await this.stop();
    const gen = ++this.generation;
    if (req.bargeIn && this.o.digits && this.o.digits.buffered.length > 0) return { interrupted: true, failed: [] };
    let interrupted = false;
    let wake: () => void = () => undefined;
    const cancel = () => {
      interrupted = true;
      wake();
    };
    this.cancelCurrent = cancel;
    const offDigit = req.bargeIn && this.o.digits ? this.o.digits.onDigit(() => cancel()) : () => undefined;
    const failed: string[] = [];
    const block = req.block ?? [];
    const run = (async () => {
      await this.setBlocked(block, true);
      try {
        for (const file of req.files) {
          if (interrupted || gen !== this.generation) break;
          let durationMs: number | undefined;
          try {
            durationMs = (await this.o.client.playMedia({ callId: this.o.callId, fromTag: req.to, file })).durationMs;
          } catch (err) {
            this.o.log.error({ err, file }, 'prompt playback failed');
            failed.push(file);
            continue;
          }
          if (!durationMs) durationMs = await wavInfo(file).then((i) => i.durationMs, () => 1000);
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, durationMs + (this.o.marginMs ?? 60));
            wake = () => {
              clearTimeout(t);
              resolve();
            };
            if (interrupted) wake();
          });
        }
        if (interrupted) await this.o.client.stopMedia({ callId: this.o.callId, fromTag: req.to }).catch(() => undefined);
      } finally {
        offDigit();
        if (gen === this.generation) this.cancelCurrent = undefined;
        await this.setBlocked(block, false);
      }
      return { interrupted, failed };
    })();
    this.current = run.catch(() => undefined);
    return run;
  }

  /** Music on hold: loops `file` to `to` until stopHold()/stop(); `block` stays muted meanwhile. */
  async startHold(file: string, to: string, block: string[] = []): Promise<void> {
    await this.stop();
    ++this.generation;
    await this.setBlocked(block, true);
    this.holdState = { to, block };
    await this.o.client.playMedia({ callId: this.o.callId, fromTag: to, file, repeatTimes: 10_000 });
  }

  async stopHold(): Promise<void> {
    const h = this.holdState;
    this.holdState = undefined;
    if (!h) return;
    await this.o.client.stopMedia({ callId: this.o.callId, fromTag: h.to }).catch((err) => this.o.log.debug({ err }, 'stop media (hold)'));
    await this.setBlocked(h.block, false);
  }

  /** Stops the prompt or hold loop now; resolves once blocks are lifted. */
  async stop(): Promise<void> {
    this.cancelCurrent?.();
    await this.current;
    await this.stopHold();
  }

  private async setBlocked(tags: string[], blocked: boolean): Promise<void> {
    for (const tag of tags) {
      try {
        if (blocked) await this.o.client.blockMedia({ callId: this.o.callId, fromTag: tag });
        else await this.o.client.unblockMedia({ callId: this.o.callId, fromTag: tag });
      } catch (err) {
        this.o.log.warn({ err, tag, blocked }, 'block/unblock media failed');
      }
    }
  }
}
