import { describe, expect, it } from 'vitest';
import { maskEvent } from '../../../src/ws/mask.js';

describe('phone masking of WebSocket events', () => {
  const ev = {
    type: 'offer',
    callId: 'c1',
    screenPop: {
      callerNumber: '+8613800138000',
      digits: '1234#',
      customer: { name: 'Li Lei', phone: '+8613800138000', phones: ['+15551234567'], fields: { plan: 'gold' } },
    },
  };

  it('agents see the last four digits of every phone field, nothing else changes', () => {
    const m = maskEvent(ev, 'agent');
    expect(m.screenPop.callerNumber).toBe('+*********8000');
    expect(m.screenPop.customer.phone).toBe('+*********8000');
    expect(m.screenPop.customer.phones).toEqual(['+*******4567']);
    expect(m.screenPop.digits).toBe('1234#');
    expect(m.screenPop.customer.fields).toEqual({ plan: 'gold' });
    expect(ev.screenPop.callerNumber).toBe('+8613800138000'); // the original is untouched
  });

  it('supervisors and admins see numbers in full', () => {
    expect(maskEvent(ev, 'supervisor')).toBe(ev);
    expect(maskEvent(ev, 'admin')).toBe(ev);
  });
});
