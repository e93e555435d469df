import { checkDestination } from '../calls/originator.js';
import type { ExternalDialPlan } from './ports.js';

export interface TrunkDialPlanOptions {
  /** Same template as the Originator, e.g. `sip:{number}@trunk.example.net`. */
  trunkUriTemplate: string;
  /** Toll-fraud guard: transfers only to numbers with one of these prefixes. */
  allowedPrefixes: readonly string[];
}

/** External transfers through the trunk, behind the same toll-fraud guard as outbound dialling. */
export function trunkDialPlan(o: TrunkDialPlanOptions): ExternalDialPlan {
  return {
    async externalUri(number: string): Promise<string | null> {
      try {
        return o.trunkUriTemplate.replaceAll('{number}', checkDestination(number, o.allowedPrefixes));
      } catch {
        return null;
      }
    },
  };
}
