import type { DncStore } from '../compliance/dnc-store.js';
import { dncOptOut } from '../scheduler/compliance-adapter.js';
import type { OptOutSink } from '../scheduler/ports.js';

/** Reminder key 3: the number goes on the portfolio's (campaign-scoped) DNC list, which the DialGuard checks. */
export function dncOptOutSink(dnc: Pick<DncStore, 'add'>): OptOutSink {
  return dncOptOut(dnc as DncStore);
}
