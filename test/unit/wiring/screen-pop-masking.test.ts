import { describe, expect, it } from 'vitest';
import { maskEvent } from '../../../src/ws/mask.js';

/**
 * An inbound call's screen pop carries the IVR session variables, where the caller's number is `caller`
 * (src/ivr/session.ts). Agents must see it masked like callerNumber (found by the inbound e2e test).
 */
describe('screen pop masking of IVR variables', () => {
  it("masks vars.caller for agents, leaves supervisors' copy intact", () => {
    const ev = { type: 'offer', screenPop: { callerNumber: '+8613800138000', vars: { caller: '+8613800138000', did: '4000', digits: '1' } } };
    const masked = maskEvent(ev, 'agent');
    expect(masked.screenPop.vars).toEqual({ caller: '+*********8000', did: '4000', digits: '1' });
    expect(masked.screenPop.callerNumber).toBe('+*********8000');
    expect(maskEvent(ev, 'supervisor')).toEqual(ev);
  });
});
