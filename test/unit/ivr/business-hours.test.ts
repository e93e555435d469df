import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calendarSchema, hoursState, type Calendar } from '../../../src/ivr/business-hours.js';
import { runFlow } from '../../../src/ivr/session.js';
import { FakeChannel } from './fakes.js';
import { mkDeps, mkFlow } from './helpers.js';

const shanghai: Calendar = calendarSchema.parse(JSON.parse(readFileSync('docs/ivr-example-calendar.json', 'utf8')));
const state = (iso: string, cal = shanghai) => hoursState(cal, new Date(iso));

describe('business-hours calendars', () => {
  it('weekly hours in the calendar zone, close time exclusive, lunch break', () => {
    expect(state('2026-11-23T02:00:00Z')).toMatchObject({ open: true, reason: 'weekly', local: '2026-11-23 10:00' });
    expect(state('2026-11-23T04:30:00Z').open).toBe(false); // 12:30 lunch
    expect(state('2026-11-23T09:59:00Z').open).toBe(true); // 17:59
    expect(state('2026-11-23T10:00:00Z').open).toBe(false); // 18:00
    expect(state('2026-11-22T02:00:00Z')).toMatchObject({ open: false, holiday: false }); // Sunday
    expect(state('2026-11-28T03:30:00Z').open).toBe(true); // Saturday 11:30
    expect(state('2026-11-28T05:00:00Z').open).toBe(false); // Saturday 13:00
  });

  it('the local date decides: 09:30 Monday in Shanghai is still Sunday night in UTC', () => {
    expect(state('2026-11-23T01:30:00Z')).toMatchObject({ open: true, local: '2026-11-23 09:30' });
    const utc = calendarSchema.parse({ ...shanghai, timeZone: 'UTC' });
    expect(hoursState(utc, new Date('2026-11-23T01:30:00Z')).open).toBe(false);
  });

  it('holidays: fixed dates and every-year MM-DD, by local date', () => {
    expect(state('2026-02-17T02:00:00Z')).toMatchObject({ open: false, holiday: true, reason: 'holiday:Spring Festival' });
    expect(state('2027-10-01T02:00:00Z')).toMatchObject({ open: false, holiday: true, reason: 'holiday:National Day' });
    // 00:30 on 1 October in Shanghai is still 30 September in UTC.
    expect(state('2026-09-30T16:30:00Z').holiday).toBe(true);
    expect(state('2026-09-30T15:30:00Z').holiday).toBe(false);
    expect(state('2027-02-17T02:00:00Z').holiday).toBe(false);
  });

  it('special-hours dates replace the weekly hours', () => {
    expect(state('2026-12-31T02:00:00Z')).toMatchObject({ open: true, reason: 'special:2026-12-31' }); // 10:00
    expect(state('2026-12-31T06:00:00Z')).toMatchObject({ open: false, reason: 'special:2026-12-31' }); // 14:00, normally open
  });

  it('follows daylight saving time in the calendar zone', () => {
    const ny = calendarSchema.parse({ id: 'ny', name: 'NY', timeZone: 'America/New_York', weekly: { mon: [{ open: '09:00', close: '17:00' }], fri: [{ open: '09:00', close: '17:00' }] } });
    expect(hoursState(ny, new Date('2026-03-06T13:30:00Z')).open).toBe(false); // Fri 08:30 EST
    expect(hoursState(ny, new Date('2026-03-09T13:30:00Z')).open).toBe(true); // Mon 09:30 EDT
    expect(hoursState(ny, new Date('2026-03-09T21:30:00Z')).open).toBe(false); // Mon 17:30 EDT
  });

  it('rejects bad calendars with clear messages', () => {
    const r = calendarSchema.safeParse({
      id: 'x', name: 'x', timeZone: 'Mars/Olympus',
      weekly: { mon: [{ open: '18:00', close: '09:00' }], tue: [{ open: '9am', close: '17:00' }] },
      holidays: [{ date: '2026-13-01' }],
    });
    expect(r.success).toBe(false);
    const msgs = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toEqual(expect.arrayContaining([
      'timeZone: unknown IANA time zone',
      'weekly.mon.0.close: open must be before close (split overnight hours over two days)',
      'weekly.tue.0.open: time as HH:MM',
      'holidays.0.date: date as YYYY-MM-DD, or MM-DD for every year',
    ]));
  });

  it('branch nodes route on open / holiday / closed at the session clock', async () => {
    const flow = mkFlow({
      b: {
        kind: 'branch',
        rules: [{ when: { calendar: 'cc-hours', is: 'open' }, next: 'open' }, { when: { calendar: 'cc-hours', is: 'holiday' }, next: 'holiday' }],
        otherwise: 'closed',
      },
      open: { kind: 'hangup' }, holiday: { kind: 'hangup' }, closed: { kind: 'hangup' },
    });
    const at = async (iso: string) => {
      const deps = mkDeps({ calendars: { getCalendar: async (id) => (id === 'cc-hours' ? shanghai : null) }, now: () => new Date(iso) });
      return (await runFlow(flow, new FakeChannel(), deps)).path[1];
    };
    expect(await at('2026-11-23T02:00:00Z')).toBe('open');
    expect(await at('2026-10-01T02:00:00Z')).toBe('holiday');
    expect(await at('2026-11-23T12:00:00Z')).toBe('closed');
    const missing = await runFlow(flow, new FakeChannel(), mkDeps({ calendars: { getCalendar: async () => null } }));
    expect([missing.outcome, missing.detail]).toEqual(['error', "calendar 'cc-hours' not found"]);
  });
});
