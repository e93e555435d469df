import type { CollectOptions } from '../calls/call-channel.js';
import type { TaskContext } from './task.js';

export interface AttemptOptions {
  prompts: string[];
  invalidPrompts: string[];
  timeoutPrompts: string[];
  retries: number;
  collect: CollectOptions;
  /** Accepts the entry (returns true) or rejects it as invalid. */
  accept(digits: string): boolean;
  /** Mask digits in the trace and logs (PINs). */
  secret?: boolean;
}

export type AttemptResult =
  | { ok: true; digits: string }
  | { ok: false; reason: 'invalid' | 'timeout' | 'hangup' };

/**
 * The prompt / collect / retry loop shared by gather and menu: prompts play with barge-in (keys typed
 * during the prompt count), an empty entry is a timeout, a rejected one is invalid; each retry first
 * plays the matching error prompt, then the main prompt again. After the last attempt the error
 * prompt plays once more before the caller moves on to the failure path.
 */
export async function collectWithRetries(ctx: TaskContext, o: AttemptOptions): Promise<AttemptResult> {
  const entered: string[] = [];
  ctx.trace.digits = entered;
  let last: 'invalid' | 'timeout' | undefined;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    const before = last === undefined ? [] : last === 'timeout' ? o.timeoutPrompts : o.invalidPrompts;
    await ctx.play(ctx.prompts([...before, ...o.prompts]), { bargeIn: true });
    if (ctx.call.ended) return { ok: false, reason: 'hangup' };
    const r = await ctx.call.collectDigits(o.collect);
    if (r.reason === 'hangup' || ctx.call.ended) return { ok: false, reason: 'hangup' };
    entered.push(o.secret ? '*'.repeat(r.digits.length) : r.digits);
    if (r.digits === '') last = 'timeout';
    else if (!o.accept(r.digits)) last = 'invalid';
    else return { ok: true, digits: r.digits };
    ctx.log.info({ attempt: attempt + 1, of: o.retries + 1, result: last, digits: o.secret ? undefined : r.digits }, 'ivr input rejected');
  }
  await ctx.play(ctx.prompts(last === 'timeout' ? o.timeoutPrompts : o.invalidPrompts));
  if (ctx.call.ended) return { ok: false, reason: 'hangup' };
  return { ok: false, reason: last ?? 'timeout' };
}
