/**
 * IVR engine overhead, in process: sessions of docs/ivr-example-flow.json on a scripted channel (no media,
 * no network; the HTTP lookup is answered by an in-process fetch) and flow validation.
 * Run: npx tsx bench/ivr.ts [sessions]
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { calendarSchema } from '../src/ivr/business-hours.js';
import { runFlow } from '../src/ivr/session.js';
import { validateFlow } from '../src/ivr/validate-flow.js';
import { FakeChannel, fakePrompts } from '../test/unit/ivr/fakes.js';

const n = Number(process.argv[2] ?? 20_000);
const doc = JSON.parse(readFileSync('docs/ivr-example-flow.json', 'utf8')) as Record<string, unknown>;
const calendar = calendarSchema.parse(JSON.parse(readFileSync('docs/ivr-example-calendar.json', 'utf8')));
const policy = JSON.stringify({ found: true, premiumDue: '2380.00', dueDate: '2026-12-15' });
const deps = {
  prompts: fakePrompts,
  log: pino({ level: 'silent' }),
  now: () => new Date('2026-11-23T02:00:00Z'),
  calendars: { getCalendar: async () => calendar },
  fetch: (async () => new Response(policy, { status: 200, headers: { 'content-type': 'application/json' } })) as typeof fetch,
  queue: { enqueue: async () => ({ outcome: 'completed' as const, queueId: 'service', agentId: 'a1', by: 'caller' as const, waitMs: 0, talkMs: 0 }) },
};

const t0 = performance.now();
for (let i = 0; i < 2000; i++) validateFlow(doc);
const validateUs = ((performance.now() - t0) / 2000) * 1000;

let steps = 0;
const t1 = performance.now();
for (let i = 0; i < n; i++) {
  const ch = new FakeChannel({ inputs: ['1', '2', '12345678#', '0'] });
  const r = await runFlow(doc, ch, deps); // validated on the first run, then cached by identity
  if (r.outcome !== 'queued') throw new Error(`unexpected outcome ${r.outcome}`);
  steps += r.steps;
}
const ms = performance.now() - t1;
console.log(JSON.stringify({
  sessions: n,
  stepsPerSession: steps / n,
  sessionsPerSec: Math.round((n / ms) * 1000),
  usPerStep: Number(((ms * 1000) / steps).toFixed(2)),
  validateExampleFlowUs: Number(validateUs.toFixed(1)),
  node: process.version,
}, null, 2));
