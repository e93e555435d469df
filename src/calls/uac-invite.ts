import type { Logger } from 'pino';
import { outcomeForStatus, type FailedOutcome } from './sip-outcome.js';
import type { DialogLike, SrfLike, SrfRequestLike } from './srf-types.js';

export interface PlaceInviteOptions {
  uri: string;
  localSdp: string;
  ringTimeoutMs: number;
  headers?: Record<string, string>;
  callerId?: string;
  proxy?: string;
  log: Logger;
  /** Cancels the INVITE when it fires (e.g. the caller hung up while the agent was ringing). */
  abort?: AbortSignal;
  /** How long to wait for the final response after CANCEL before giving up locally (default 3000). */
  cancelGraceMs?: number;
}

export type PlaceInviteResult =
  | { ok: true; dialog: DialogLike }
  | { ok: false; outcome: FailedOutcome; sipStatus?: number; aborted: boolean };

/**
 * Sends one INVITE through srf and waits for the final answer, CANCELling it after ringTimeoutMs
 * (or when `abort` fires). A 200 that races a CANCEL is hung up so no dialog leaks.
 */
export async function placeInvite(srf: SrfLike, o: PlaceInviteOptions): Promise<PlaceInviteResult> {
  let sentReq: SrfRequestLike | undefined;
  let gaveUp = false;
  let aborted = false;
  let provisional = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let settleLocally: ((r: PlaceInviteResult) => void) | undefined;
  const localResult = new Promise<PlaceInviteResult>((resolve) => (settleLocally = resolve));

  const cancel = (why: string) => {
    if (gaveUp) return;
    gaveUp = true;
    o.log.info({ uri: o.uri, why }, 'cancelling INVITE');
    if (sentReq?.cancel) {
      try {
        sentReq.cancel(() => undefined);
      } catch (err) {
        o.log.warn({ err }, 'CANCEL failed');
      }
    }
    // A CANCEL can only go out after a provisional; a far end that never answered at all would keep us
    // waiting for Timer B (32 s). Give the 487 a grace period, then stop waiting.
    graceTimer = setTimeout(() => {
      o.log.info({ uri: o.uri, provisional }, 'no final response after CANCEL; giving up');
      settleLocally?.({ ok: false, outcome: aborted ? 'failed' : provisional ? 'no-answer' : 'failed', sipStatus: provisional ? 487 : 408, aborted });
    }, o.cancelGraceMs ?? 3000);
  };
  const timer = setTimeout(() => cancel('ring timeout'), o.ringTimeoutMs);
  const onAbort = () => {
    aborted = true;
    cancel('aborted');
  };
  if (o.abort?.aborted) onAbort();
  o.abort?.addEventListener('abort', onAbort, { once: true });

  const headers = { ...(o.headers ?? {}) };
  // srf's callingNumber option would also force Contact to sip:<n>@localhost; set From alone and let the server fill Contact
  if (o.callerId) headers.From = `<sip:${o.callerId}@localhost>`;
  const viaSip = (async (): Promise<PlaceInviteResult> => {
    try {
      const dialog = await srf.createUAC(
        o.uri,
        { localSdp: o.localSdp, headers, ...(o.proxy ? { proxy: o.proxy } : {}) },
        {
          cbRequest: (err, req) => {
            if (err || !req) return;
            sentReq = req;
            // cancel requested before the request object existed
            if (gaveUp && req.cancel) {
              try {
                req.cancel(() => undefined);
              } catch {
                /* the grace timer still ends the wait */
              }
            }
          },
          cbProvisional: (res) => {
            provisional = true;
            o.log.debug({ status: res.status }, 'provisional response');
          },
        },
      );
      if (gaveUp) {
        // answered in the same instant we cancelled (or after we stopped waiting): hang it up rather than leak it
        await dialog.destroy().catch(() => undefined);
        return { ok: false, outcome: aborted ? 'failed' : 'no-answer', sipStatus: 487, aborted };
      }
      return { ok: true, dialog };
    } catch (err) {
      const status = (err as { status?: number }).status;
      o.log.info({ uri: o.uri, status, err: status ? undefined : (err as Error).message }, 'INVITE failed');
      return { ok: false, outcome: gaveUp && !aborted ? 'no-answer' : outcomeForStatus(status), sipStatus: status, aborted };
    }
  })();
  try {
    return await Promise.race([viaSip, localResult]);
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    o.abort?.removeEventListener('abort', onAbort);
  }
}
