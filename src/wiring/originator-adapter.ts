import type { Originator as CallsOriginator } from '../calls/originator.js';
import { sipOriginator } from '../dialer/adapters/sip-originator.js';
import type { Originator as DialerOriginator } from '../dialer/ports.js';
import type { Logger } from '../logger.js';
import type { Originator as SchedulerOriginator, OriginateRequest, OriginateResult } from '../scheduler/ports.js';

/**
 * src/calls Originator -> the dialer's Originator: ring time measured, campaign trunk names mapped to URI
 * templates (unknown names use call control's default trunk), a refused destination comes back as 'failed'.
 */
export function dialerOriginator(calls: Pick<CallsOriginator, 'originate'>, o: { trunks?: Record<string, string> } = {}): DialerOriginator {
  return sipOriginator(calls, o);
}

/**
 * src/calls Originator -> the scheduler's Originator. Call control throws before any SIP for a destination
 * outside the allowed prefixes (toll-fraud guard); the scheduler expects an outcome, so that is 'failed'.
 */
export function schedulerOriginator(calls: Pick<CallsOriginator, 'originate'>, log?: Logger): SchedulerOriginator {
  return {
    async originate(req: OriginateRequest): Promise<OriginateResult> {
      try {
        return await calls.originate(req);
      } catch (err) {
        log?.warn({ err: (err as Error).message, to: req.to }, 'scheduled call refused before dialling');
        return { outcome: 'failed' };
      }
    },
  };
}
