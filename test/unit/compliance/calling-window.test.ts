import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allowedIntervals, callingWindowsSchema, DEFAULT_CALLING_WINDOWS as W, isWithinCallingWindow, nextAllowedTime,
} from '../../../src/compliance/calling-window.js';
import { localParts } from '../../../src/compliance/zoned-time.js';

const at = (iso: string) => Date.parse(iso);

describe('calling windows in the lead local time', () => {
  it('the same instant is allowed in one zone and not in another', () => {
    const t = at('2026-11-24T02:00:00Z'); // Tue 10:00 Shanghai, Mon 21:00 New York, Mon 18:00 Los Angeles
    expect(isWithinCallingWindow(t, 'Asia/Shanghai', W)).toBe(true);
    expect(isWithinCallingWindow(t, 'America/New_York', W)).toBe(false); // 21:00 is the end (exclusive)
    expect(isWithinCallingWindow(t, 'America/Los_Angeles', W)).toBe(false); // evening-meal blackout 18:00-19:00
  });

  it('blackouts split the day: lunch 12:00-13:30 and evening meal 18:00-19:00 by default', () => {
    expect(allowedIntervals(W, 2)).toEqual([[540, 720], [810, 1080], [1140, 1260]]);
    expect(isWithinCallingWindow(at('2026-11-24T04:15:00Z'), 'Asia/Shanghai', W)).toBe(false); // 12:15
    expect(isWithinCallingWindow(at('2026-11-24T05:29:00Z'), 'Asia/Shanghai', W)).toBe(false); // 13:29
    expect(isWithinCallingWindow(at('2026-11-24T05:30:00Z'), 'Asia/Shanghai', W)).toBe(true); // 13:30
    expect(nextAllowedTime(at('2026-11-24T04:15:00Z'), 'Asia/Shanghai', W)).toBe(at('2026-11-24T05:30:00Z'));
  });

  it('weekdays and weekends have their own windows; weekday-only blackouts skip weekends', () => {
    const w = callingWindowsSchema.parse({
      weekdays: [{ start: '09:00', end: '21:00' }], weekends: [{ start: '10:00', end: '16:00' }],
      blackouts: [{ start: '12:00', end: '13:00', days: 'weekdays' }],
    });
    // Saturday 2026-11-28 09:30 Shanghai: weekday window would allow, weekend does not.
    expect(isWithinCallingWindow(at('2026-11-28T01:30:00Z'), 'Asia/Shanghai', w)).toBe(false);
    expect(nextAllowedTime(at('2026-11-28T01:30:00Z'), 'Asia/Shanghai', w)).toBe(at('2026-11-28T02:00:00Z'));
    // Saturday 12:30 is allowed (blackout is weekdays only); Friday 12:30 is not.
    expect(isWithinCallingWindow(at('2026-11-28T04:30:00Z'), 'Asia/Shanghai', w)).toBe(true);
    expect(isWithinCallingWindow(at('2026-11-27T04:30:00Z'), 'Asia/Shanghai', w)).toBe(false);
    // Saturday 17:00 -> Sunday 10:00.
    expect(nextAllowedTime(at('2026-11-28T09:00:00Z'), 'Asia/Shanghai', w)).toBe(at('2026-11-29T02:00:00Z'));
  });

  it('after 21:00 the next window is 09:00 the next local day', () => {
    expect(nextAllowedTime(at('2026-11-23T13:30:00Z'), 'Asia/Shanghai', W)).toBe(at('2026-11-24T01:00:00Z'));
  });

  it('handles DST: New York spring forward and fall back, London', () => {
    // 2026-03-08 01:00 EST (06:00Z); clocks jump at 02:00; 09:00 EDT = 13:00Z (not 14:00Z).
    expect(nextAllowedTime(at('2026-03-08T06:00:00Z'), 'America/New_York', W)).toBe(at('2026-03-08T13:00:00Z'));
    // The day before (EST), 09:00 = 14:00Z.
    expect(nextAllowedTime(at('2026-03-07T06:00:00Z'), 'America/New_York', W)).toBe(at('2026-03-07T14:00:00Z'));
    // 2026-11-01 fall back: 09:00 EST = 14:00Z.
    expect(nextAllowedTime(at('2026-11-01T05:30:00Z'), 'America/New_York', W)).toBe(at('2026-11-01T14:00:00Z'));
    // Los Angeles on its spring-forward day, asked just after the jump (found by the property test):
    // 09:00 PDT = 16:00Z, not 17:00Z.
    expect(nextAllowedTime(at('2026-03-08T10:01:21Z'), 'America/Los_Angeles', W)).toBe(at('2026-03-08T16:00:00Z'));
    // Sydney (southern hemisphere) falls back on 2026-04-05: 09:00 AEST = 23:00Z the day before.
    expect(nextAllowedTime(at('2026-04-04T16:00:00Z'), 'Australia/Sydney', W)).toBe(at('2026-04-04T23:00:00Z'));
    // London 2026-03-29 spring forward: 09:00 BST = 08:00Z.
    expect(nextAllowedTime(at('2026-03-29T00:30:00Z'), 'Europe/London', W)).toBe(at('2026-03-29T08:00:00Z'));
    expect(isWithinCallingWindow(at('2026-03-29T07:59:00Z'), 'Europe/London', W)).toBe(false);
  });

  it('windows that allow nothing give null', () => {
    const none = callingWindowsSchema.parse({ weekdays: [], weekends: [], blackouts: [] });
    expect(nextAllowedTime(at('2026-11-24T02:00:00Z'), 'Asia/Shanghai', none)).toBeNull();
  });

  it('rejects malformed ranges', () => {
    expect(callingWindowsSchema.safeParse({ weekdays: [{ start: '21:00', end: '09:00' }] }).success).toBe(false);
    expect(callingWindowsSchema.safeParse({ weekdays: [{ start: '9:00', end: '21:00' }] }).success).toBe(false);
  });

  it('property: nextAllowedTime is inside a window, and no earlier minute is', () => {
    const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'America/Los_Angeles', 'Asia/Kolkata'];
    fc.assert(fc.property(
      fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') }),
      fc.constantFrom(...zones),
      (t, zone) => {
        const n = nextAllowedTime(t, zone, W);
        expect(n).not.toBeNull();
        expect(n!).toBeGreaterThanOrEqual(t);
        expect(isWithinCallingWindow(n!, zone, W)).toBe(true);
        const minute = localParts(n!, zone).minuteOfDay;
        expect(minute).toBeGreaterThanOrEqual(9 * 60);
        expect(minute).toBeLessThan(21 * 60);
        // Sample the gap: nothing allowed before n (checked every 10 minutes).
        for (let x = t; x < n! - 60_000; x += 10 * 60_000) expect(isWithinCallingWindow(x, zone, W)).toBe(false);
      },
    ), { numRuns: 500 });
  });
});
