// Public surface of compliance for the dialer, the scheduler (callbacks, reminders) and the API.
export { callingWindowsSchema, DEFAULT_CALLING_WINDOWS, isWithinCallingWindow, nextAllowedTime, allowedIntervals, type CallingWindows } from './calling-window.js';
export { DncStore, campaignScope, type DncEntry, type DncScope, type DncCheck } from './dnc-store.js';
export { FrequencyCaps, DEFAULT_CAP_RULES, capRuleSchema, type CapRule, type CapResult } from './frequency-caps.js';
export { isDestinationAllowed } from './toll-fraud.js';
export { RefusalLog, refusalReasonSchema, type Refusal, type RefusalReason } from './refusal-log.js';
export { CallStatsStore, type WindowStats, type CallMetric } from './call-stats.js';
export { CompliancePolicy, nextCallableTime, windowOpen, nextOpenTime, type ComplianceLead, type ComplianceCampaign, type ComplianceDecision, type CheckOptions } from './policy.js';
