import type { Originator as CallControlOriginator } from '../../calls/originator.js';
import type { OriginateRequest, OriginateResult, Originator } from '../ports.js';

export interface SipOriginatorOptions {
  /** Campaign trunk name -> trunk URI template (`sip:{number}@host`); unknown names use call control's default. */
  trunks?: Record<string, string>;
}

/**
 * The dialer's Originator over src/calls Originator: adds the ring time measurement and maps the trunk name.
 * Call control applies its own toll-fraud guard as well; a refused destination comes back as 'failed'.
 */
export function sipOriginator(calls: Pick<CallControlOriginator, 'originate'>, o: SipOriginatorOptions = {}): Originator {
  return {
    async originate(req: OriginateRequest): Promise<OriginateResult> {
      const t0 = Date.now();
      try {
        const trunk = o.trunks?.[req.trunk];
        const r = await calls.originate({
          to: req.to, callerId: req.callerId, ringTimeoutMs: req.ringTimeoutMs,
          ...(trunk ? { trunk } : {}), ...(req.headers ? { headers: req.headers } : {}),
          ...(req.allowedPrefixes ? { allowedPrefixes: [...req.allowedPrefixes] } : {}),
        });
        const ringMs = Date.now() - t0;
        if (r.outcome === 'answered') return { outcome: 'answered', call: r.call, ringMs };
        return { outcome: r.outcome, ringMs, ...(r.sipStatus !== undefined ? { sipStatus: r.sipStatus } : {}) };
      } catch (err) {
        return { outcome: 'failed', ringMs: Date.now() - t0, reason: (err as Error).message };
      }
    },
  };
}
