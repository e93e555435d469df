import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/roles.js';
import type { CallRegistry } from '../calls/call-registry.js';
import type { DialogLike, SrfLike } from '../calls/srf-types.js';
import { placeInvite } from '../calls/uac-invite.js';
import type { EventBus } from '../events/bus.js';
import { callLogger } from '../logger.js';
import { PRIMARY_TAG } from '../media/media-session.js';
import type { RtpengineClient } from '../media/rtpengine-client.js';

/**
 * Supervisor listen-in (silent monitoring) through rtpengine media subscriptions (ng `subscribe request` /
 * `subscribe answer` / `unsubscribe`, verified on 10.5): rtpengine offers the supervisor a sendonly SDP with one
 * m= line per subscribed participant (customer PRIMARY_TAG, optionally agent PEER_TAG; 10.5 does not mix them).
 * ICE must be removed from the subscription offer: rtpengine otherwise waits for ICE checks plain phones never send. Subscriptions are
 * one way by construction: nothing the supervisor sends is forwarded into the call.
 * The rtpengine call-id is the call's callId (MediaSession keys the session by the customer leg's Call-ID).
 */
export interface ListenInOptions {
  srf: SrfLike;
  client: RtpengineClient;
  registry: CallRegistry;
  audit: AuditLog;
  bus: EventBus;
  log: Logger;
  /** Current contact URI of an agent's softphone (AgentDirectory.contactFor). */
  contactFor(agentId: string): Promise<string | null>;
  ringTimeoutMs?: number;
  /**
   * rtpengine participants fed to the supervisor, one m= line each (default: the customer only). Measured with
   * baresip 1.0: it accepts only the first m= line (the second answered with port 0, which rtpengine refuses:
   * "Failed to process subscription answer"); sending both streams to its one port makes it reset on every
   * SSRC change and play nothing. Pass [PRIMARY_TAG, PEER_TAG] for phones that accept two audio streams.
   */
  sources?: string[];
}

export interface ListenTarget {
  agentId?: string;
  uri?: string;
}

export interface ActiveListen {
  id: string;
  callId: string;
  supervisor: string;
  uri: string;
  startedAt: string;
}

export class ListenInError extends Error {
  constructor(readonly code: 'call-not-found' | 'no-contact' | 'not-answered' | 'media-failed', message: string, readonly sipStatus?: number) {
    super(message);
    this.name = 'ListenInError';
  }
}

interface Running extends ActiveListen {
  dialog: DialogLike;
  toTag: string;
}

export class ListenInService {
  private readonly active = new Map<string, Running>();

  constructor(private readonly o: ListenInOptions) {}

  list(): ActiveListen[] {
    return [...this.active.values()].map(({ dialog: _d, toTag: _t, ...rest }) => rest);
  }

  /** Rings the supervisor's phone and, once answered, feeds it the call's audio. Resolves when the leg is up. */
  async listen(callId: string, target: ListenTarget, by: Principal): Promise<ActiveListen> {
    const log = callLogger(this.o.log, callId, { component: 'listen-in', supervisor: by.sub });
    const call = this.o.registry.get(callId);
    if (!call || call.ended) throw new ListenInError('call-not-found', `no active call ${callId}`);
    const uri = target.uri ?? (target.agentId ? await this.o.contactFor(target.agentId) : null);
    if (!uri) throw new ListenInError('no-contact', `agent ${target.agentId ?? '?'} has no registered softphone`);

    const sub = await this.o.client.command('subscribeRequest', { 'call-id': callId, 'from-tags': this.o.sources ?? [PRIMARY_TAG], ICE: 'remove' }, callId);
    const toTag = String(sub['to-tag']);
    const unsubscribe = async () => {
      try {
        await this.o.client.command('unsubscribe', { 'call-id': callId, 'to-tag': toTag }, callId);
      } catch (err) {
        // the call may already be deleted: its subscriptions went with it
        log.debug({ err: (err as Error).message }, 'unsubscribe failed');
      }
    };
    const abort = new AbortController();
    const onCallEnd = () => abort.abort();
    call.once('hangup', onCallEnd);
    const placed = await placeInvite(this.o.srf, { uri, localSdp: asSendrecv(String(sub.sdp)), ringTimeoutMs: this.o.ringTimeoutMs ?? 20_000, log, abort: abort.signal });
    if (!placed.ok) {
      call.off('hangup', onCallEnd);
      await unsubscribe();
      throw new ListenInError('not-answered', `supervisor leg ${placed.outcome}`, placed.sipStatus);
    }
    const dialog = placed.dialog;
    try {
      await this.o.client.command('subscribeAnswer', { 'call-id': callId, 'to-tag': toTag, sdp: dialog.remote.sdp }, callId);
    } catch (err) {
      call.off('hangup', onCallEnd);
      await dialog.destroy().catch(() => undefined);
      await unsubscribe();
      throw new ListenInError('media-failed', (err as Error).message);
    }
    const listen: Running = { id: randomUUID(), callId, supervisor: by.sub, uri, startedAt: new Date().toISOString(), dialog, toTag };
    this.active.set(listen.id, listen);
    let ended = false;
    const end = async (why: 'call-ended' | 'supervisor-hangup') => {
      if (ended) return;
      ended = true;
      call.off('hangup', onEnd);
      this.active.delete(listen.id);
      if (why === 'call-ended') await dialog.destroy().catch(() => undefined);
      await unsubscribe();
      log.info({ listenId: listen.id, why }, 'listen-in ended');
      await this.o.bus.publish('supervisor', { type: 'listen-ended', listenId: listen.id, callId, supervisor: by.sub, reason: why }).catch(() => undefined);
    };
    const onEnd = () => void end('call-ended');
    call.off('hangup', onCallEnd);
    if (call.ended) void end('call-ended');
    else call.once('hangup', onEnd);
    dialog.on('destroy', () => void end('supervisor-hangup'));
    log.info({ listenId: listen.id, uri }, 'listen-in started');
    await this.o.bus.publish('supervisor', { type: 'listen-started', listenId: listen.id, callId, supervisor: by.sub }).catch((err: unknown) => log.warn({ err }, 'bus publish failed'));
    return this.list().find((l) => l.id === listen.id) ?? { id: listen.id, callId, supervisor: by.sub, uri, startedAt: listen.startedAt };
  }

  /** Hangs up every supervisor leg (shutdown). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.active.values()].map((l) => l.dialog.destroy()));
    this.active.clear();
  }
}


/**
 * baresip 1.0 answers a sendonly offer recvonly and then never plays what it receives (measured: RTP arrives,
 * the decoder dump stays empty); offered sendrecv it plays. Whatever the phone sends back is dropped by rtpengine:
 * a subscription forwards nothing into the call (asserted end to end: the customer never hears the supervisor).
 */
export function asSendrecv(sdp: string): string {
  return sdp.replace(/^a=sendonly(\r?)$/gm, 'a=sendrecv$1');
}
