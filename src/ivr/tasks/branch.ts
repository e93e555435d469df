import { hoursState } from '../business-hours.js';
import type { BranchCondition } from '../flow-schema.js';
import type { Task, TaskContext } from '../task.js';

/** First matching rule wins: variable tests or a business-hours calendar (time-zone and holiday aware). */
export const branchTask: Task<'branch'> = {
  kind: 'branch',
  async run(node, ctx) {
    for (const [i, rule] of node.rules.entries()) {
      if (await matches(rule.when, ctx)) {
        ctx.trace.result = `rule ${i}`;
        return { next: rule.next };
      }
    }
    ctx.trace.result = 'otherwise';
    return { next: node.otherwise };
  },
};

async function matches(c: BranchCondition, ctx: TaskContext): Promise<boolean> {
  if ('calendar' in c) {
    const cal = await ctx.deps.calendars?.getCalendar(c.calendar);
    if (!cal) throw new Error(`calendar '${c.calendar}' not found`);
    const s = hoursState(cal, ctx.now());
    ctx.log.debug({ calendar: c.calendar, ...s }, 'ivr business hours');
    return c.is === 'open' ? s.open : c.is === 'closed' ? !s.open : s.holiday;
  }
  const has = Object.prototype.hasOwnProperty.call(ctx.vars, c.var) && ctx.vars[c.var] !== '';
  const v = has ? ctx.vars[c.var] : '';
  const want = c.value === undefined ? '' : ctx.render(c.value);
  switch (c.op) {
    case 'exists': return has;
    case 'missing': return !has;
    case 'eq': return v === want;
    case 'ne': return v !== want;
    case 'in': return want.split(',').map((s) => s.trim()).includes(v);
    case 'gt':
    case 'lt': {
      const a = Number(v);
      const b = Number(want);
      if (!has || Number.isNaN(a) || Number.isNaN(b)) return false;
      return c.op === 'gt' ? a > b : a < b;
    }
    case 'matches': return new RegExp(want).test(v);
  }
}
