import type { Redis } from 'ioredis';
import { HttpError } from '../api/error-handler.js';
import type { Keys } from '../redis.js';
import { calendarSchema, type Calendar, type CalendarInput, type CalendarSource } from './business-hours.js';
import { calendarsOf } from './flow-graph.js';
import type { Flow } from './flow-schema.js';
import { FlowValidationError, validateFlow, type FlowProblem } from './validate-flow.js';

export interface StoredFlow extends Flow {
  version: number;
  updatedAt: string;
}

export interface NumberRoute {
  did: string;
  flowId: string;
}

/**
 * IVR configuration in Redis: flows (validated on every save, incl. that referenced calendars exist),
 * DID -> flow routes and business-hours calendars. Not-found / in-use are HttpErrors (404/409); an
 * invalid flow is a FlowValidationError naming the node and field.
 */
export class IvrStore implements CalendarSource {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private flowKey(id: string) { return this.keys.k('ivr', 'flow', id); }
  private calKey(id: string) { return this.keys.k('ivr', 'calendar', id); }
  private get flowsKey() { return this.keys.k('ivr', 'flows'); }
  private get calsKey() { return this.keys.k('ivr', 'calendars'); }
  private get numbersKey() { return this.keys.k('ivr', 'numbers'); }

  /** Schema + graph + calendar references; throws FlowValidationError. */
  async checkFlow(input: unknown): Promise<Flow> {
    const r = validateFlow(input);
    if (!r.ok) throw r.error;
    const missing: FlowProblem[] = [];
    for (const id of calendarsOf(r.flow)) {
      if (!(await this.redis.exists(this.calKey(id)))) {
        for (const [node, n] of Object.entries(r.flow.nodes)) {
          if (n.kind !== 'branch') continue;
          n.rules.forEach((rule, i) => {
            if ('calendar' in rule.when && rule.when.calendar === id) {
              missing.push({ node, field: `rules[${i}].when.calendar`, message: `unknown calendar '${id}'` });
            }
          });
        }
      }
    }
    if (missing.length) throw new FlowValidationError(missing);
    return r.flow;
  }

  async createFlow(input: unknown, now = new Date()): Promise<StoredFlow> {
    const flow = await this.checkFlow(input);
    const stored: StoredFlow = { ...flow, version: 1, updatedAt: now.toISOString() };
    const ok = await this.redis.set(this.flowKey(flow.id), JSON.stringify(stored), 'NX');
    if (ok !== 'OK') throw new HttpError(409, 'conflict', `flow '${flow.id}' already exists`);
    await this.redis.sadd(this.flowsKey, flow.id);
    return stored;
  }

  /** Replaces an existing flow; the id in the body must match (or is taken from the path). */
  async replaceFlow(id: string, input: Record<string, unknown>, now = new Date()): Promise<StoredFlow> {
    if (input.id !== undefined && input.id !== id) throw new HttpError(409, 'conflict', `body id '${String(input.id)}' does not match path id '${id}'`);
    const cur = await this.requireFlow(id);
    const flow = await this.checkFlow({ ...input, id });
    const stored: StoredFlow = { ...flow, version: cur.version + 1, updatedAt: now.toISOString() };
    await this.redis.set(this.flowKey(id), JSON.stringify(stored));
    return stored;
  }

  async getFlow(id: string): Promise<StoredFlow | null> {
    const raw = await this.redis.get(this.flowKey(id));
    return raw ? (JSON.parse(raw) as StoredFlow) : null;
  }

  async requireFlow(id: string): Promise<StoredFlow> {
    const f = await this.getFlow(id);
    if (!f) throw new HttpError(404, 'not_found', `flow '${id}' not found`);
    return f;
  }

  async listFlows(): Promise<StoredFlow[]> {
    const ids = (await this.redis.smembers(this.flowsKey)).sort();
    if (!ids.length) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.flowKey(id)));
    return raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as StoredFlow);
  }

  /** 409 while a number still routes to the flow. */
  async deleteFlow(id: string): Promise<void> {
    await this.requireFlow(id);
    const users = (await this.listNumbers()).filter((n) => n.flowId === id).map((n) => n.did);
    if (users.length) throw new HttpError(409, 'in_use', `flow '${id}' is used by number(s) ${users.join(', ')}`);
    await this.redis.multi().del(this.flowKey(id)).srem(this.flowsKey, id).exec();
  }

  async setNumber(did: string, flowId: string): Promise<NumberRoute> {
    await this.requireFlow(flowId);
    await this.redis.hset(this.numbersKey, did, flowId);
    return { did, flowId };
  }

  async listNumbers(): Promise<NumberRoute[]> {
    const all = await this.redis.hgetall(this.numbersKey);
    return Object.entries(all).map(([did, flowId]) => ({ did, flowId })).sort((a, b) => a.did.localeCompare(b.did));
  }

  async deleteNumber(did: string): Promise<void> {
    const n = await this.redis.hdel(this.numbersKey, did);
    if (!n) throw new HttpError(404, 'not_found', `number '${did}' has no flow`);
  }

  /** The flow id for a dialled number; tries the number as dialled, then with/without a leading '+'. */
  async flowIdForNumber(did: string): Promise<string | null> {
    const alt = did.startsWith('+') ? did.slice(1) : `+${did}`;
    const [a, b] = await this.redis.hmget(this.numbersKey, did, alt);
    return a ?? b ?? null;
  }

  async flowForNumber(did: string): Promise<StoredFlow | null> {
    const id = await this.flowIdForNumber(did);
    return id ? this.getFlow(id) : null;
  }

  async createCalendar(input: CalendarInput): Promise<Calendar> {
    const cal = calendarSchema.parse(input);
    const ok = await this.redis.set(this.calKey(cal.id), JSON.stringify(cal), 'NX');
    if (ok !== 'OK') throw new HttpError(409, 'conflict', `calendar '${cal.id}' already exists`);
    await this.redis.sadd(this.calsKey, cal.id);
    return cal;
  }

  async replaceCalendar(id: string, input: CalendarInput): Promise<Calendar> {
    if (input.id !== id) throw new HttpError(409, 'conflict', `body id '${input.id}' does not match path id '${id}'`);
    await this.requireCalendar(id);
    const cal = calendarSchema.parse(input);
    await this.redis.set(this.calKey(id), JSON.stringify(cal));
    return cal;
  }

  async getCalendar(id: string): Promise<Calendar | null> {
    const raw = await this.redis.get(this.calKey(id));
    return raw ? (JSON.parse(raw) as Calendar) : null;
  }

  async requireCalendar(id: string): Promise<Calendar> {
    const c = await this.getCalendar(id);
    if (!c) throw new HttpError(404, 'not_found', `calendar '${id}' not found`);
    return c;
  }

  async listCalendars(): Promise<Calendar[]> {
    const ids = (await this.redis.smembers(this.calsKey)).sort();
    if (!ids.length) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.calKey(id)));
    return raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as Calendar);
  }

  /** 409 while a flow's branch rule refers to the calendar. */
  async deleteCalendar(id: string): Promise<void> {
    await this.requireCalendar(id);
    const users = (await this.listFlows()).filter((f) => calendarsOf(f).includes(id)).map((f) => f.id);
    if (users.length) throw new HttpError(409, 'in_use', `calendar '${id}' is used by flow(s) ${users.join(', ')}`);
    await this.redis.multi().del(this.calKey(id)).srem(this.calsKey, id).exec();
  }
}
