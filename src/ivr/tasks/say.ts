import type { PromptFile } from '../../calls/call-channel.js';
import type { SayPart } from '../flow-schema.js';
import type { Task, TaskContext } from '../task.js';

/** Speaks a sentence from prompts and templated values (numbers, digit strings, dates, amounts). */
export const sayTask: Task<'say'> = {
  kind: 'say',
  async run(node, ctx) {
    const files = node.parts.flatMap((p) => partFiles(p, ctx));
    await ctx.play(files, { bargeIn: node.bargeIn });
    return { next: node.next };
  },
};

/** A value that does not parse is an authoring or lookup error: the task fails rather than say nonsense. */
function partFiles(p: SayPart, ctx: TaskContext): PromptFile[] {
  const { prompts, lang } = { prompts: ctx.deps.prompts, lang: ctx.lang };
  if ('prompt' in p) return [prompts.file(p.prompt, lang)];
  if ('number' in p) return prompts.sayNumber(toNumber(ctx.render(p.number), 'number'), lang);
  if ('digits' in p) {
    const s = ctx.render(p.digits).replace(/\s/g, '');
    if (!/^[0-9*#]+$/.test(s)) throw new Error(`say digits: '${s}' is not a digit string`);
    return prompts.sayDigits(s, lang);
  }
  if ('date' in p) {
    const raw = ctx.render(p.date).trim();
    const d = new Date(raw);
    if (raw === '' || Number.isNaN(d.getTime())) throw new Error(`say date: '${raw}' is not a date`);
    return prompts.sayDate(d, lang, p.timeZone ? { timeZone: p.timeZone } : undefined);
  }
  return prompts.sayCurrency(toNumber(ctx.render(p.currency), 'currency'), p.code, lang);
}

function toNumber(raw: string, what: string): number {
  const s = raw.trim().replace(/,/g, '');
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) throw new Error(`say ${what}: '${raw}' is not a number`);
  return n;
}
