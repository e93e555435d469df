import type { Campaign } from '../campaign.js';
import { AgentlessPacer } from './agentless.js';
import type { Pacer } from './pacer.js';
import { PredictivePacer } from './predictive.js';
import { PreviewPacer } from './preview.js';
import { ProgressivePacer } from './progressive.js';

export { AgentlessPacer, PredictivePacer, PreviewPacer, ProgressivePacer };
export type { Pacer, PacingInput, PacingDecision } from './pacer.js';
export { LiveStats } from './live-stats.js';
export { RollingAbandonWindow } from './rolling-window.js';

/** The pacer a campaign's dial mode asks for. `active` counts agentless calls in progress. */
export function pacerFor(c: Pick<Campaign, 'dialMode' | 'abandonRateTarget' | 'abandonGraceMs' | 'maxLinesPerAgent'>, opts: { agentlessLines?: number; active?: () => number } = {}): Pacer {
  switch (c.dialMode) {
    case 'preview': return new PreviewPacer();
    case 'progressive': return new ProgressivePacer();
    case 'predictive': return new PredictivePacer({ abandonTarget: c.abandonRateTarget, abandonGraceMs: c.abandonGraceMs, maxLinesPerAgent: c.maxLinesPerAgent });
    case 'agentless': return new AgentlessPacer(opts.agentlessLines ?? 10, opts.active ?? (() => 0));
  }
}
