import type { Logger } from 'pino';
import type { CallChannel, PlayOptions, PromptFile } from '../calls/call-channel.js';
import type { EventBus } from '../events/bus.js';
import type { CalendarSource } from './business-hours.js';
import type { Flow, NodeKind, NodeOf } from './flow-schema.js';
import type { AgentContacts, CallbackRequester, ExternalDialPlan, IvrLanguage, PromptResolver, QueueEntry, SurveyRecorder } from './ports.js';
import type { Vars } from './template.js';

/** How a session ended. 'queued' and 'transferred' leave the caller bridged to someone else. */
export type SessionOutcome = 'hangup' | 'caller-hangup' | 'transferred' | 'queued' | 'max-steps' | 'error';

/**
 * What a task returns: continue at a node, end the session, or fail (the session then goes to the
 * flow's onError node, else plays the error prompt and hangs up).
 */
export type TaskResult =
  | { next: string }
  | { end: SessionOutcome; detail?: string }
  | { fail: string };

export interface TraceEntry {
  node: string;
  kind: NodeKind;
  /** ms since the session started. */
  atMs: number;
  /** Keys entered at this node (masked for secret gathers), one item per attempt. */
  digits?: string[];
  /** Short outcome note: 'invalid', 'timeout', 'open', 'http 200', 'bridged'... */
  result?: string;
}

/** Services a session uses; everything except prompts and log is optional so tests inject only what a flow needs. */
export interface IvrDeps {
  prompts: PromptResolver;
  log: Logger;
  queue?: QueueEntry;
  callbacks?: CallbackRequester;
  /** Post-call survey scores (the `survey` node). */
  surveys?: SurveyRecorder;
  /** Transfer to an agent: their registered softphone contact. */
  agents?: AgentContacts;
  /** Transfer to an external number. */
  dialPlan?: ExternalDialPlan;
  calendars?: CalendarSource;
  /** Publishes ivr.started / ivr.ended on the `supervisor` topic. */
  bus?: Pick<EventBus, 'publish'>;
  /** HTTP lookups; global fetch by default. */
  fetch?: typeof fetch;
  now?: () => Date;
  /** Hard cap on steps, whatever the flow says. */
  maxSteps?: number;
  /** Played before hanging up after an unhandled error or the step limit (default ['goodbye']). */
  errorPrompts?: string[];
}

/** What a task sees of its session. */
export interface TaskContext {
  readonly call: CallChannel;
  readonly flow: Flow;
  readonly nodeId: string;
  readonly vars: Vars;
  lang: IvrLanguage;
  readonly deps: IvrDeps;
  /** Child logger with callId, flowId and node. */
  readonly log: Logger;
  /** Aborted when the caller hangs up: pass it to anything that waits. */
  readonly signal: AbortSignal;
  /** The trace entry of this node, for digits and results. */
  readonly trace: TraceEntry;
  /** The whole path so far, this node last (for screen pops). */
  readonly history: readonly TraceEntry[];
  prompts(keys: string[]): PromptFile[];
  render(template: string): string;
  /** Variables without secret gather entries (PINs): what may leave the IVR (queues, callbacks, results). */
  publicVars(): Vars;
  /** Plays unless the caller is gone; an empty list is a no-op. */
  play(files: PromptFile[], opts?: PlayOptions): Promise<{ interrupted: boolean }>;
  now(): Date;
}

export interface Task<K extends NodeKind = NodeKind> {
  kind: K;
  run(node: NodeOf<K>, ctx: TaskContext): Promise<TaskResult>;
}

/** `target` when given, else a failure the session routes to onError. */
export function failTo(target: string | undefined, reason: string): TaskResult {
  return target !== undefined ? { next: target } : { fail: reason };
}
