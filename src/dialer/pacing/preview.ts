import type { Pacer, PacingDecision } from './pacer.js';

/** Preview: nothing is dialed automatically; an agent sees the lead and clicks to dial. */
export class PreviewPacer implements Pacer {
  readonly mode = 'preview' as const;
  decide(): PacingDecision {
    return { dial: 0 };
  }
}
