import { z } from 'zod';
import { callingWindowsSchema } from '../compliance/calling-window.js';
import { CURRENCIES, type CurrencyCode } from '../media/prompt-catalog.js';

export const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => isRealDate(s), 'not a calendar date');

export function isRealDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

export const currencySchema = z.enum(CURRENCIES as [CurrencyCode, ...CurrencyCode[]]);
export const paymentStatusSchema = z.enum(['pending', 'paid', 'opted-out', 'cancelled']);
export type PaymentStatus = z.infer<typeof paymentStatusSchema>;

/** One due payment as imported (CSV or API). */
export const paymentInputSchema = z.object({
  account: z.string().min(1).max(64),
  customer: z.string().min(1).max(200),
  phone: z.string().min(3).max(40),
  amount: z.number().positive().max(1e9),
  currency: currencySchema,
  dueDate: isoDateSchema,
  timezone: z.string().min(1).max(64),
  /** An import row marked paid cancels the pending reminders. */
  status: z.enum(['due', 'paid']).default('due'),
});
export type PaymentInput = z.infer<typeof paymentInputSchema>;

export const stepStateSchema = z.object({
  index: z.number(),
  offsetDays: z.number(),
  fireAt: z.number(),
  state: z.enum(['scheduled', 'done', 'skipped', 'cancelled', 'failed', 'blocked']),
  attempts: z.number(),
  lastOutcome: z.string().optional(),
});
export type StepState = z.infer<typeof stepStateSchema>;

export const paymentSchema = z.object({
  id: z.string(),
  portfolioId: z.string(),
  account: z.string(),
  customer: z.string(),
  phone: z.string(),
  amount: z.number(),
  currency: currencySchema,
  dueDate: z.string(),
  timezone: z.string(),
  status: paymentStatusSchema,
  promise: z.object({ date: z.string(), at: z.number() }).optional(),
  paidAt: z.number().optional(),
  /** At least one reminder reached the customer (for "paid after reminder"). */
  reached: z.boolean(),
  steps: z.array(stepStateSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Payment = z.infer<typeof paymentSchema>;

export const reminderOutcomeSchema = z.object({
  at: z.number(),
  paymentId: z.string(),
  step: z.number(),
  attempt: z.number(),
  /** reached: heard the message; promised; opted-out; agent: asked for an agent; no-answer/busy/failed/voicemail: not reached. */
  result: z.enum(['reached', 'promised', 'opted-out', 'agent', 'no-answer', 'busy', 'failed', 'voicemail', 'deferred', 'blocked', 'interrupted']),
  detail: z.string().optional(),
});
export type ReminderOutcome = z.infer<typeof reminderOutcomeSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

/** Reminder schedule of a portfolio: e.g. 3 days before, on the due day, 3 and 7 days after, at 10:00 local. */
export const portfolioSchema = z.object({
  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/),
  name: z.string().max(120).default(''),
  offsetsDays: z.array(z.number().int().min(-60).max(120)).min(1).max(20).default([-3, 0, 3, 7]),
  timeOfDay: hhmm.default('10:00'),
  callerId: z.string().min(1).max(40).default('anonymous'),
  /** ACD queue for "press 1 to talk to an agent". */
  queueId: z.string().min(1).max(64).default('collections'),
  lang: z.enum(['en', 'zh']).default('en'),
  /** Retries of one reminder when nobody answers (or voicemail), with backoff. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  retryBackoffMinutes: z.array(z.number().int().min(1).max(24 * 60)).min(1).max(10).default([60, 240]),
  /** A promise may be at most this far ahead. */
  maxPromiseDays: z.number().int().min(1).max(180).default(30),
  callingWindows: callingWindowsSchema.default(callingWindowsSchema.parse({})),
  /** Toll-fraud guard: destinations must start with one of these E.164 prefixes (required, fail closed). */
  allowedPrefixes: z.array(z.string().regex(/^\+?\d{1,15}$/)).min(1).max(50),
});
export type Portfolio = z.infer<typeof portfolioSchema>;
export type PortfolioInput = z.input<typeof portfolioSchema>;
