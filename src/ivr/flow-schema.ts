import { z } from 'zod';
import { CURRENCIES, LANGS, type CurrencyCode } from '../media/prompt-catalog.js';
import { isValidZone } from '../leads/phone.js';

/**
 * An IVR flow is a declarative document: a map of named nodes (one task kind each) starting at `start`.
 * Edges are node ids in `next` / `onFailure` / menu choices / branch rules, checked by validateFlow().
 */

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const nodeIdSchema = z.string().regex(ID, 'node id: letters, digits, _ . - (max 64)');
export const flowIdSchema = z.string().regex(ID, 'flow id: letters, digits, _ . - (max 64)');
export const languageSchema = z.enum(LANGS as [(typeof LANGS)[number], ...(typeof LANGS)[number][]]);
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,63}$/, 'variable name: letters, digits, _ and . (max 64)');
const promptKey = z.string().min(1).max(200);
const prompts = z.array(promptKey).max(20);
const template = z.string().max(2000);
const dtmfKey = z.string().regex(/^[0-9*#]$/, 'one DTMF key: 0-9 * #');
const ms = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

export const playNodeSchema = z.object({
  kind: z.literal('play'),
  prompts: prompts.min(1),
  bargeIn: z.boolean().default(false),
  next: nodeIdSchema,
});

/** One piece of a spoken sentence: a fixed prompt, or a templated value read out with the prompt set. */
export const sayPartSchema = z.union([
  z.object({ prompt: promptKey }).strict(),
  z.object({ number: template }).strict(),
  z.object({ digits: template }).strict(),
  /** Date-only values (2026-12-15) are read as written; for date-times give the zone to read them in. */
  z.object({ date: template, timeZone: z.string().refine(isValidZone, 'unknown IANA time zone').optional() }).strict(),
  z.object({ currency: template, code: z.enum(CURRENCIES as [CurrencyCode, ...CurrencyCode[]]).default('CNY') }).strict(),
]);

export const sayNodeSchema = z.object({
  kind: z.literal('say'),
  parts: z.array(sayPartSchema).min(1).max(50),
  bargeIn: z.boolean().default(false),
  next: nodeIdSchema,
});

const retryPrompts = {
  /** Played after an entry that does not match; then the main prompts again. */
  invalidPrompts: prompts.default(['invalid-entry']),
  /** Played when the caller entered nothing; then the main prompts again. */
  timeoutPrompts: prompts.default(['no-input']),
  /** Attempts after the first one. */
  retries: z.number().int().min(0).max(10).default(2),
  /** Where to go when all attempts fail; without it: the flow's onError node, else a polite hangup. */
  onFailure: nodeIdSchema.optional(),
};

export const gatherNodeSchema = z.object({
  kind: z.literal('gather'),
  prompts: prompts.default([]),
  /** The digits are stored in this variable (and in `digits`, unless secret). */
  var: varName,
  min: z.number().int().min(1).max(64).default(1),
  max: z.number().int().min(1).max(64),
  finishOnKey: dtmfKey.optional(),
  /** Optional regular expression the entry must match in full (e.g. a policy number format). */
  pattern: z.string().max(200).optional(),
  firstDigitTimeoutMs: ms(500, 60_000, 5_000),
  interDigitTimeoutMs: ms(500, 30_000, 3_000),
  /** PINs: digits are masked in the trace and logs. */
  secret: z.boolean().default(false),
  next: nodeIdSchema,
  ...retryPrompts,
}).superRefine((n, ctx) => {
  if (n.min > n.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min (${n.min}) is greater than max (${n.max})` });
  if (n.pattern !== undefined) {
    try {
      new RegExp(n.pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `invalid regular expression: ${(err as Error).message}` });
    }
  }
});

export const menuChoiceSchema = z.object({
  key: dtmfKey,
  next: nodeIdSchema,
  /** A language menu: choosing this key switches the session language. */
  lang: languageSchema.optional(),
  /** Variables set when this key is chosen (templates allowed). */
  set: z.record(varName, template).optional(),
});

export const menuNodeSchema = z.object({
  kind: z.literal('menu'),
  prompts: prompts.min(1),
  choices: z.array(menuChoiceSchema).min(1).max(12),
  timeoutMs: ms(500, 60_000, 5_000),
  ...retryPrompts,
}).superRefine((n, ctx) => {
  const seen = new Set<string>();
  n.choices.forEach((c, i) => {
    if (seen.has(c.key)) ctx.addIssue({ code: 'custom', path: ['choices', i, 'key'], message: `key '${c.key}' is used twice` });
    seen.add(c.key);
  });
});

const varOps = ['eq', 'ne', 'in', 'exists', 'missing', 'gt', 'lt', 'matches'] as const;
export const varConditionSchema = z.object({
  var: varName,
  op: z.enum(varOps),
  /** Template; for 'in' a comma-separated list; for gt/lt compared as numbers; for 'matches' a regular expression. */
  value: template.optional(),
}).superRefine((c, ctx) => {
  if (!['exists', 'missing'].includes(c.op) && c.value === undefined) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `operator '${c.op}' needs a value` });
  }
  if (c.op === 'matches' && c.value !== undefined) {
    try {
      new RegExp(c.value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression: ${(err as Error).message}` });
    }
  }
});

export const hoursConditionSchema = z.object({
  /** Business-hours calendar id (stored under /ivr/calendars). */
  calendar: z.string().regex(ID, 'calendar id'),
  /** 'closed' is true on holidays too; 'holiday' only on a holiday date. */
  is: z.enum(['open', 'closed', 'holiday']),
});

export const branchRuleSchema = z.object({
  when: z.union([varConditionSchema, hoursConditionSchema]),
  next: nodeIdSchema,
});

export const branchNodeSchema = z.object({
  kind: z.literal('branch'),
  rules: z.array(branchRuleSchema).min(1).max(50),
  otherwise: nodeIdSchema,
});

export const setVarNodeSchema = z.object({
  kind: z.literal('set-var'),
  set: z.record(varName, template).default({}),
  lang: languageSchema.optional(),
  next: nodeIdSchema,
});

export const httpLookupNodeSchema = z.object({
  kind: z.literal('http-lookup'),
  /** Template; substituted values are URL-encoded except a leading `{{base}}` variable (a configured base URL). */
  url: template.refine((u) => /^(https?:\/\/|\{\{)/.test(u), 'url must start with http://, https:// or a {{variable}} holding the base URL'),
  method: z.enum(['GET', 'POST']).default('GET'),
  headers: z.record(z.string().min(1).max(100), template).optional(),
  /** JSON body of templated string fields (POST). */
  body: z.record(z.string().min(1).max(100), template).optional(),
  timeoutMs: ms(100, 30_000, 3_000),
  /** Result fields become variables `<as>.<field>` (nested objects flattened with dots), plus `<as>.ok`. */
  as: varName,
  next: nodeIdSchema,
  /** Timeout, network error, non-2xx or non-JSON answer; without it: onError, else a polite hangup. */
  onFailure: nodeIdSchema.optional(),
});

export const enqueueNodeSchema = z.object({
  kind: z.literal('enqueue'),
  queueId: z.string().min(1).max(64),
  /** 0..9, higher first. */
  priority: z.number().int().min(0).max(9).default(0),
  /** Skills the call needs on top of the queue's, e.g. { "mandarin": 1 }; `{{lang}}` templates allowed in names. */
  skills: z.record(z.string().min(1).max(64), z.number().int().min(1).max(10)).optional(),
  leadId: template.optional(),
  /** The queue gave up or the caller left it with the exit key; `queue.outcome` / `queue.action` say why. */
  onNoAgent: nodeIdSchema.optional(),
  /** After the agent hangs up with the caller still on the line (e.g. a satisfaction survey); else the flow ends. */
  afterAgent: nodeIdSchema.optional(),
});

export const transferNodeSchema = z.object({
  kind: z.literal('transfer'),
  to: z.union([
    z.object({ agent: template }).strict(),
    z.object({ number: template }).strict(),
  ]),
  callerId: template.optional(),
  ringTimeoutMs: ms(5_000, 120_000, 30_000),
  /** Prompt played before dialling (e.g. "connecting you"). */
  prompts: prompts.default([]),
  /** No answer, busy, rejected or unknown target; `transfer.outcome` says why. */
  onFailure: nodeIdSchema.optional(),
});

export const requestCallbackNodeSchema = z.object({
  kind: z.literal('request-callback'),
  /** Template; defaults to the caller's number. */
  phone: template.default('{{caller}}'),
  leadId: template.optional(),
  queueId: z.string().min(1).max(64).optional(),
  /** Template yielding an ISO date-time; empty -> the scheduler's next allowed slot. */
  when: template.optional(),
  /** Played once the request is accepted. */
  prompts: prompts.default([]),
  next: nodeIdSchema,
  onFailure: nodeIdSchema.optional(),
});

/** Records the caller's post-call satisfaction score (1-5) for the agent, e.g. after an enqueue's afterAgent. */
export const surveyNodeSchema = z.object({
  kind: z.literal('survey'),
  /** Template yielding the score, typically a preceding gather's variable. */
  score: template,
  agentId: template.default('{{queue.agentId}}'),
  /** Thanks, played once the score is recorded. */
  prompts: prompts.default([]),
  next: nodeIdSchema,
  /** Score not 1-5, no agent, or the recorder failed; `survey.error` says why. */
  onFailure: nodeIdSchema.optional(),
});

export const hangupNodeSchema = z.object({
  kind: z.literal('hangup'),
  /** Goodbye prompts played before hanging up. */
  prompts: prompts.default([]),
});

export const nodeSchema = z.discriminatedUnion('kind', [
  playNodeSchema, sayNodeSchema, gatherNodeSchema, menuNodeSchema, branchNodeSchema, setVarNodeSchema,
  httpLookupNodeSchema, enqueueNodeSchema, transferNodeSchema, requestCallbackNodeSchema, surveyNodeSchema, hangupNodeSchema,
]);

export const flowSchema = z.object({
  id: flowIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Initial session language. */
  lang: languageSchema.default('en'),
  start: nodeIdSchema,
  /** Node run when a task fails unexpectedly (a second failure hangs up). */
  onError: nodeIdSchema.optional(),
  /** Runaway guard: the session hangs up after this many node executions. */
  maxSteps: z.number().int().min(1).max(10_000).default(200),
  /** Initial variables (templates not evaluated). */
  vars: z.record(varName, z.string().max(2000)).default({}),
  nodes: z.record(nodeIdSchema, nodeSchema).refine((n) => Object.keys(n).length > 0, 'a flow needs at least one node'),
});

export type FlowInput = z.input<typeof flowSchema>;
export type Flow = z.infer<typeof flowSchema>;
export type FlowNode = z.infer<typeof nodeSchema>;
export type NodeKind = FlowNode['kind'];
export type NodeOf<K extends NodeKind> = Extract<FlowNode, { kind: K }>;
export type BranchCondition = z.infer<typeof branchRuleSchema>['when'];
export type SayPart = z.infer<typeof sayPartSchema>;
